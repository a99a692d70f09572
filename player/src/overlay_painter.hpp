#pragma once
// Internal to MpvRenderer's window (mpv_window.cpp): the OpenGL calls the window makes itself,
// and the painter of the header and ticker bands (screen_overlay.hpp) over the main picture.
//
// Drawing is fixed-function OpenGL (a compatibility context, as SDL makes by default; Mesa's
// llvmpipe has one) with the functions taken from SDL_GL_GetProcAddress, so nothing links
// libGL. mpv's renderer leaves its own state behind (program, vertex array, buffers, blending):
// begin() sets every piece of state the painter relies on, end() puts back the defaults.
//
// Text is drawn with SDL_ttf once per text into textures (Noto Sans Bold, else DejaVu Sans
// Bold), in pieces no wider than the GL's texture limit; the QR code with libqrencode.
// The ticker's position is computed from the monotonic instant it is painted for, never counted
// in frames: a late frame shows the text where it should be by then.
//
// Lifecycle: create() with the window's GL context current; destroyed before that context.
// Threads: the window's (the owner loop).

#include "bantin/common/clock.hpp"
#include "bantin/common/error.hpp"
#include "bantin/player/screen_overlay.hpp"

#include <SDL2/SDL_opengl.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bantin::player {

// The few OpenGL functions the window and the painter call.
struct GlApi {
    void (*gen_textures)(GLsizei, GLuint*) = nullptr;
    void (*delete_textures)(GLsizei, const GLuint*) = nullptr;
    void (*bind_texture)(GLenum, GLuint) = nullptr;
    void (*tex_image_2d)(GLenum, GLint, GLint, GLsizei, GLsizei, GLint, GLenum, GLenum,
                         const void*) = nullptr;
    void (*tex_parameteri)(GLenum, GLenum, GLint) = nullptr;
    void (*tex_env_i)(GLenum, GLenum, GLint) = nullptr;
    void (*enable)(GLenum) = nullptr;
    void (*disable)(GLenum) = nullptr;
    void (*blend_func)(GLenum, GLenum) = nullptr;
    void (*viewport)(GLint, GLint, GLsizei, GLsizei) = nullptr;
    void (*matrix_mode)(GLenum) = nullptr;
    void (*load_identity)() = nullptr;
    void (*ortho)(GLdouble, GLdouble, GLdouble, GLdouble, GLdouble, GLdouble) = nullptr;
    void (*color4f)(GLfloat, GLfloat, GLfloat, GLfloat) = nullptr;
    void (*begin)(GLenum) = nullptr;
    void (*end)() = nullptr;
    void (*tex_coord2f)(GLfloat, GLfloat) = nullptr;
    void (*vertex2f)(GLfloat, GLfloat) = nullptr;
    void (*clear_color)(GLfloat, GLfloat, GLfloat, GLfloat) = nullptr;
    void (*clear)(GLbitfield) = nullptr;
    void (*pixel_storei)(GLenum, GLint) = nullptr;
    void (*read_pixels)(GLint, GLint, GLsizei, GLsizei, GLenum, GLenum, void*) = nullptr;
    void (*read_buffer)(GLenum) = nullptr;
    void (*get_integerv)(GLenum, GLint*) = nullptr;
    void (*gen_framebuffers)(GLsizei, GLuint*) = nullptr;
    void (*delete_framebuffers)(GLsizei, const GLuint*) = nullptr;
    void (*bind_framebuffer)(GLenum, GLuint) = nullptr;
    void (*framebuffer_texture_2d)(GLenum, GLenum, GLenum, GLuint, GLint) = nullptr;
    GLenum (*check_framebuffer_status)(GLenum) = nullptr;
    void (*use_program)(GLuint) = nullptr;
    void (*bind_vertex_array)(GLuint) = nullptr;  // absent before GL 3
    void (*bind_buffer)(GLenum, GLuint) = nullptr;
    void (*active_texture)(GLenum) = nullptr;

    // Needs a current GL context.
    static Result<GlApi> load();
};

// A text drawn once: textures side by side (each at most the texture limit wide).
struct TextImage {
    struct Piece {
        GLuint texture = 0;
        int x = 0;
        int width = 0;
    };
    std::vector<Piece> pieces;
    int width = 0;
    int height = 0;
};

class OverlayPainter {
public:
    struct Options {
        std::filesystem::path font_file;  // empty: Noto Sans Bold, else DejaVu Sans Bold
        double ticker_speed = 120;        // pixels per second on a 1080-row output
    };
    static Result<std::unique_ptr<OverlayPainter>> create(const GlApi& gl, Options options);
    ~OverlayPainter();
    OverlayPainter(const OverlayPainter&) = delete;
    OverlayPainter& operator=(const OverlayPainter&) = delete;

    // A new content; the ticker starts from the right edge when its text changed.
    void set_content(const OverlayContent& content, MonotonicTime now);
    const OverlayContent& content() const { return m_content; }

    // State for drawing on FBO 0 over the whole window, y down; end() puts back the defaults.
    void begin(int width, int height) const;
    void end() const;
    // A texture (row 0 at the top) into the rectangle.
    void draw_texture(GLuint texture, float x, float y, float width, float height) const;
    // The header and the ticker for this instant (between begin() and end()).
    void paint(int width, int height, TimePoint wall, MonotonicTime now);

private:
    struct Fonts;
    OverlayPainter(const GlApi& gl, Options options, std::unique_ptr<Fonts> fonts);
    const TextImage& text(const std::string& key, const std::string& content, int pixels);
    void forget_text(const std::string& key);
    void draw_text(const TextImage& image, float x, float y, float scale) const;
    void fill(float x, float y, float width, float height, float r, float g, float b, float a) const;
    void paint_header(int width, int rows, TimePoint wall);
    void paint_ticker(int width, int height, int rows, MonotonicTime now);
    GLuint qr_texture(int& modules);

    GlApi m_gl;
    Options m_options;
    std::unique_ptr<Fonts> m_fonts;
    int m_max_texture = 2048;
    OverlayContent m_content;
    MonotonicTime m_ticker_since{};
    std::map<std::string, std::pair<std::string, TextImage>> m_texts;  // key -> (what, image)
    GLuint m_qr = 0;
    int m_qr_modules = 0;
    std::string m_qr_url;
};

}  // namespace bantin::player
