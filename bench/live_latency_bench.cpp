// Live channel latency, mouth to speaker, on loopback: how long from the instant a sound enters
// the operator's encoder until a device's player has decoded it.
//
// The chain of a live channel (docs/api.md "Live channels"), with the real parts:
//   mouth    this bench writes raw PCM (s16le, 44.1 kHz, mono) into ffmpeg's stdin in 10 ms
//            chunks paced by the steady clock, as a capture device delivers it: silence, and every
//            `--period-ms` a 100 ms 1 kHz tone burst. The instant the burst's first chunk is
//            written is its "spoken" instant;
//   encoder  ffmpeg with the encoder arguments `bantin live` gives it
//            (cli::live_encoder_arguments: Opus in Ogg, 64 kb/s, low delay, 10 ms frames, 20 ms
//            pages, every packet flushed), publishing to an Icecast mount;
//   server   a real icecast2 tuned for latency: in its <limits>, <burst-on-connect>0, <burst-size>0
//            and a small <queue-size> (docs/api.md "Live channels"). Without --icecast the bench
//            runs its own on a free 127.0.0.1 port (tests/support/icecast_server.hpp, Debian's
//            icecast2); with --icecast it measures the server it is pointed at;
//   speaker  libmpv with the options a device opens a live channel with
//            (player::live_stream_options: no cache, no read-ahead, small probe, no input
//            buffering), ao=pcm writing what it decodes to a file.
//
// The bench polls that file every 2 ms and finds each tone's onset (2.5 ms blocks whose mean
// level rises above a threshold after silence); latency = onset seen - burst written, both on
// this process's steady clock. ao=pcm is not a sound card: it writes as soon as mpv has decoded,
// with no device buffer behind it, so a real speaker adds its own output buffer (mpv's
// audio-buffer, `[playback] audio_buffer_ms` on a device) on top of these figures.
//
//   bench/live_latency_bench [--icecast http://127.0.0.1:PORT --source-password PW]
//                            [--bursts 40] [--period-ms 1000] [--mpv NAME=VALUE]... [--ffmpeg ARG]...
//
// --mpv and --ffmpeg add options after the device's and bantin live's own (the later wins), to
// compare: `--ffmpeg -c:a --ffmpeg libmp3lame --ffmpeg -f --ffmpeg mp3` measures MP3.
//
// Prints name=value lines last: live_latency_p50_ms, live_latency_p99_ms, live_latency_max_ms,
// live_bursts_sent, live_bursts_heard. Exits 1 with one line when a part cannot start.

#include "bantin/cli/http_commands.hpp"
#include "bantin/player/playback_engine.hpp"
#include "bench_support.hpp"
#include "support/icecast_server.hpp"

#include <mpv/client.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

const char* const bantin::bench::program_name = "live_latency_bench";

namespace {

using bantin::bench::die;
using Steady = std::chrono::steady_clock;

constexpr int sample_rate = 44100;
constexpr int chunk_samples = sample_rate / 100;  // 10 ms
constexpr int tone_chunks = 10;                   // 100 ms bursts
constexpr int block_samples = sample_rate / 400;  // 2.5 ms detection blocks
constexpr double onset_level = 3000;              // mean |sample| of a block; the tone's is ~10400
constexpr int silent_blocks_to_rearm = 16;        // 40 ms of silence between bursts

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

// ffmpeg reading PCM from a pipe this process writes, publishing to `target`.
struct Encoder {
    pid_t pid = -1;
    int input = -1;
};

Encoder start_encoder(const std::string& target, const std::vector<std::string>& extra) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        die("pipe failed");
    // A small pipe: what the bench writes reaches ffmpeg at once, not after 64 KiB piled up.
    (void)::fcntl(fds[1], F_SETPIPE_SZ, 4096);
    std::vector<std::string> argv{"ffmpeg",  "-hide_banner", "-loglevel", "error", "-nostdin",
                                  "-fflags", "+nobuffer",    "-f",        "s16le", "-ar",
                                  "44100",   "-ac",          "1",         "-i",    "pipe:0"};
    const auto encoding = bantin::cli::live_encoder_arguments("64k");
    argv.insert(argv.end(), encoding.begin(), encoding.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(target);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
    Encoder encoder;
    const int spawned = posix_spawnp(&encoder.pid, "ffmpeg", &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[0]);
    if (spawned != 0)
        die("ffmpeg could not start");
    encoder.input = fds[1];
    return encoder;
}

void write_all(int fd, const std::vector<std::int16_t>& samples) {
    const auto* bytes = reinterpret_cast<const char*>(samples.data());
    std::size_t left = samples.size() * sizeof(std::int16_t);
    while (left > 0) {
        const ssize_t wrote = ::write(fd, bytes, left);
        if (wrote <= 0)
            die("ffmpeg stopped reading its input");
        bytes += wrote;
        left -= static_cast<std::size_t>(wrote);
    }
}

void set_option(mpv_handle* mpv, const char* name, const std::string& value) {
    if (mpv_set_option_string(mpv, name, value.c_str()) < 0)
        die(std::string("mpv option ") + name + "=" + value + " refused");
}

// Tone onsets in the PCM file as it grows: the steady instant each was seen.
class OnsetWatch {
public:
    explicit OnsetWatch(std::filesystem::path file) : m_file(std::move(file)) {}

    // Reads what was added since the last call; true once the file has any audio.
    bool poll() {
        std::ifstream in(m_file, std::ios::binary);
        if (!in)
            return false;
        in.seekg(static_cast<std::streamoff>(m_offset));
        std::vector<char> bytes(1 << 16);
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        const auto now = Steady::now();
        m_offset += got;
        for (std::size_t i = 0; i + 1 < got; i += 2) {
            const auto sample = static_cast<std::int16_t>(static_cast<std::uint16_t>(
                static_cast<unsigned char>(bytes[i]) | (static_cast<unsigned char>(bytes[i + 1]) << 8)));
            m_sum += std::abs(static_cast<double>(sample));
            if (++m_in_block < block_samples)
                continue;
            const double level = m_sum / block_samples;
            m_sum = 0;
            m_in_block = 0;
            if (level >= onset_level) {
                if (m_armed) {
                    m_onsets.push_back(now);
                    m_armed = false;
                }
                m_quiet = 0;
            } else if (++m_quiet >= silent_blocks_to_rearm) {
                m_armed = true;
            }
        }
        return m_offset > 0;
    }
    const std::vector<Steady::time_point>& onsets() const { return m_onsets; }

private:
    std::filesystem::path m_file;
    std::size_t m_offset = 0;
    double m_sum = 0;
    int m_in_block = 0;
    int m_quiet = 0;
    bool m_armed = false;  // armed by silence first: the stream's start is not an onset
    std::vector<Steady::time_point> m_onsets;
};

}  // namespace

int main(int argc, char** argv) {
    int bursts = 40;
    int period_ms = 1000;
    std::string icecast;  // http://host:port
    std::string password;
    std::vector<std::pair<std::string, std::string>> extra_options;  // --mpv name=value, for tuning
    std::vector<std::string> encoder_options;                        // --ffmpeg "-opt value", for tuning
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--bursts")
            bursts = std::max(1, std::atoi(value.c_str()));
        else if (flag == "--period-ms")
            period_ms = std::max(300, std::atoi(value.c_str()));
        else if (flag == "--mpv" && value.find('=') != std::string::npos)
            extra_options.emplace_back(value.substr(0, value.find('=')), value.substr(value.find('=') + 1));
        else if (flag == "--ffmpeg")
            encoder_options.push_back(value);
        else if (flag == "--icecast")
            icecast = value;
        else if (flag == "--source-password")
            password = value;
        else
            die("unknown option " + flag +
                " (--icecast URL, --source-password PW, --bursts N, --period-ms MS, --mpv NAME=VALUE, "
                "--ffmpeg ARG)");
    }
    bantin::test::IcecastServer own_server;
    if (icecast.empty()) {
        if (!bantin::test::IcecastServer::installed())
            die("icecast2 is not installed (apt install icecast2), and no --icecast was given");
        bantin::bench::must(own_server.start(), "start icecast2");
        icecast = "http://127.0.0.1:" + std::to_string(own_server.port());
        password = bantin::test::IcecastServer::source_password;
    }
    if (!icecast.starts_with("http://") || password.empty())
        die("give --icecast http://host:port and --source-password of a running icecast2 tuned for latency");
    while (icecast.ends_with("/")) icecast.pop_back();
    ::signal(SIGPIPE, SIG_IGN);

    const std::string mount = "/live-bench-" + std::to_string(::getpid()) + ".opus";
    const std::string url = icecast + mount;
    Encoder encoder = start_encoder(
        "icecast://source:" + password + "@" + icecast.substr(std::string("http://").size()) + mount,
        encoder_options);

    // The mouth: silence until told, tone bursts at known instants.
    std::atomic<bool> speaking{false};
    std::atomic<bool> done{false};
    std::mutex written_mutex;
    std::vector<Steady::time_point> written;
    std::thread mouth([&] {
        std::vector<std::int16_t> silence(chunk_samples, 0);
        std::vector<std::vector<std::int16_t>> tone(tone_chunks, std::vector<std::int16_t>(chunk_samples));
        for (int c = 0; c < tone_chunks; ++c)
            for (int s = 0; s < chunk_samples; ++s)
                tone[static_cast<std::size_t>(c)][static_cast<std::size_t>(s)] = static_cast<std::int16_t>(
                    16384 * std::sin(2 * M_PI * 1000 * (c * chunk_samples + s) / sample_rate));
        const auto start = Steady::now();
        const int chunks_per_period = period_ms / 10;
        int sent = 0;
        int since_burst = 0;
        for (long k = 0; !done; ++k) {
            std::this_thread::sleep_until(start + std::chrono::milliseconds{10 * k});
            if (speaking && sent < bursts && since_burst >= chunks_per_period) {
                since_burst = 0;
                ++sent;
                {
                    std::lock_guard lock(written_mutex);
                    written.push_back(Steady::now());
                }
            }
            if (since_burst < tone_chunks && sent > 0 && speaking)
                write_all(encoder.input, tone[static_cast<std::size_t>(since_burst)]);
            else
                write_all(encoder.input, silence);
            ++since_burst;
        }
    });

    // The speaker.
    const auto pcm =
        std::filesystem::temp_directory_path() / ("bantin-live-bench-" + std::to_string(::getpid()) + ".pcm");
    mpv_handle* mpv = mpv_create();
    if (mpv == nullptr)
        die("mpv_create failed");
    for (const auto& [name, value] : std::vector<std::pair<const char*, std::string>>{
             {"vo", "null"},
             {"vid", "no"},
             {"ao", "pcm"},
             {"ao-pcm-file", pcm.string()},
             {"ao-pcm-waveheader", "no"},
             {"audio-format", "s16"},
             {"audio-channels", "mono"},
             {"audio-samplerate", "44100"},
             {"terminal", "no"},
         })
        set_option(mpv, name, value);
    for (const auto& [name, value] : bantin::player::live_stream_options)
        set_option(mpv, std::string(name).c_str(), std::string(value));
    for (const auto& [name, value] : extra_options) set_option(mpv, name.c_str(), value);
    if (mpv_initialize(mpv) < 0)
        die("mpv_initialize failed");
    std::this_thread::sleep_for(std::chrono::milliseconds{1500});  // the source is on the mount
    const char* command[] = {"loadfile", url.c_str(), nullptr};
    if (mpv_command(mpv, command) < 0)
        die("mpv loadfile " + url + " failed");

    OnsetWatch watch(pcm);
    const auto listening = Steady::now();
    while (!watch.poll()) {
        if (Steady::now() - listening > std::chrono::seconds{15})
            die("the player wrote no audio within 15 s of opening " + url);
        std::this_thread::sleep_for(std::chrono::milliseconds{2});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{1000});  // past the stream's start
    watch.poll();
    speaking = true;
    const auto deadline = Steady::now() +
                          std::chrono::milliseconds{static_cast<long>(bursts + 3) * period_ms} +
                          std::chrono::seconds{5};
    while (Steady::now() < deadline) {
        watch.poll();
        {
            std::lock_guard lock(written_mutex);
            if (static_cast<int>(written.size()) == bursts && watch.onsets().size() >= written.size() &&
                Steady::now() - written.back() > std::chrono::milliseconds{period_ms})
                break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{2});
    }
    done = true;
    mouth.join();
    ::close(encoder.input);
    int status = 0;
    ::waitpid(encoder.pid, &status, 0);
    mpv_terminate_destroy(mpv);
    std::error_code ignored;
    std::filesystem::remove(pcm, ignored);

    // The k-th onset heard is the k-th burst written: the stream is one ordered byte sequence, and
    // a burst lost on the way would show as fewer onsets.
    std::vector<double> latencies;
    const auto& onsets = watch.onsets();
    for (std::size_t k = 0; k < std::min(onsets.size(), written.size()); ++k)
        latencies.push_back(std::chrono::duration<double, std::milli>(onsets[k] - written[k]).count());
    std::printf("live_bursts_sent=%zu\n", written.size());
    std::printf("live_bursts_heard=%zu\n", onsets.size());
    std::printf("live_latency_p50_ms=%.1f\n", percentile(latencies, 0.50));
    std::printf("live_latency_p99_ms=%.1f\n", percentile(latencies, 0.99));
    std::printf("live_latency_max_ms=%.1f\n",
                latencies.empty() ? 0.0 : *std::max_element(latencies.begin(), latencies.end()));
    return onsets.size() == written.size() ? 0 : 1;
}
