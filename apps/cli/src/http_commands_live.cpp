// bantin live (docs/cli.md): open a live channel to zones, feed it with ffmpeg from an ALSA
// device or a file, close it when ffmpeg exits, on Ctrl-C (SIGINT) or SIGTERM, or at the
// channel's end time.

#include "http_support.hpp"

#include "bantin/common/time.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <ostream>

extern char** environ;

namespace bantin::cli::detail {

namespace {

struct LiveOptions {
    std::vector<std::string> zones;
    std::string input;
    std::string level = "priority";
    std::string duration;  // "30m"; empty: the controller's maximum
    std::string ffmpeg = "ffmpeg";
    std::string bitrate = "64k";
};

// "30m", "2h", "90s", "1h30m" -> seconds.
Outcome<std::int64_t> duration_seconds(const std::string& text) {
    std::int64_t total = 0;
    std::int64_t number = 0;
    bool digits = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            number = number * 10 + (c - '0');
            digits = true;
            if (number > 1'000'000)
                return refuse(ExitStatus::Usage, "--duration: too long: \"" + text + "\"");
            continue;
        }
        const std::int64_t unit = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : 0;
        if (!digits || unit == 0)
            return refuse(ExitStatus::Usage, "--duration: expected 30m, 2h or 1h30m, got \"" + text + "\"");
        total += number * unit;
        number = 0;
        digits = false;
    }
    if (digits || total <= 0)
        return refuse(ExitStatus::Usage, "--duration: expected 30m, 2h or 1h30m, got \"" + text + "\"");
    return total;
}

}  // namespace

}  // namespace bantin::cli::detail

namespace bantin::cli {

std::vector<std::string> live_encoder_arguments(const std::string& bitrate) {
    return {"-vn",       "-ac",
            "1",         "-ar",
            "48000",     "-c:a",
            "libopus",   "-b:a",
            bitrate,     "-application",
            "lowdelay",  "-frame_duration",
            "10",        "-page_duration",
            "20000",     "-flush_packets",
            "1",         "-content_type",
            "audio/ogg", "-f",
            "ogg"};
}

}  // namespace bantin::cli

namespace bantin::cli::detail {

// The ffmpeg command that feeds `source_url` from `input`: a file that exists is read at its own
// pace (-re); anything else is an ALSA capture device ("hw:1,0", "default"); input buffering off;
// then live_encoder_arguments().
std::vector<std::string> live_ffmpeg_argv(const std::string& ffmpeg, const std::string& input,
                                          const std::string& source_url, const std::string& bitrate) {
    std::vector<std::string> argv{ffmpeg,     "-hide_banner", "-loglevel", "warning",
                                  "-nostdin", "-fflags",      "+nobuffer"};
    std::error_code error;
    if (std::filesystem::is_regular_file(input, error)) {
        argv.insert(argv.end(), {"-re", "-i", input});
    } else {
        argv.insert(argv.end(), {"-f", "alsa", "-i", input});
    }
    const auto encoder = live_encoder_arguments(bitrate);
    argv.insert(argv.end(), encoder.begin(), encoder.end());
    argv.push_back(source_url);
    return argv;
}

namespace {

// Runs argv until it exits, a stop signal arrives (then it gets SIGINT, and SIGKILL 5 s later) or
// `deadline` passes. The stop signals are blocked in this process while it runs and restored
// after. Returns a sentence saying how it ended; `failed` when ffmpeg ended with an error by itself.
struct FeedEnd {
    std::string how;
    bool failed = false;
};

Outcome<FeedEnd> run_feed(const std::vector<std::string>& argv,
                          std::chrono::system_clock::time_point deadline) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGCHLD);
    sigset_t previous;
    sigprocmask(SIG_BLOCK, &stop_signals, &previous);
    struct Restore {
        sigset_t mask;
        ~Restore() { sigprocmask(SIG_SETMASK, &mask, nullptr); }
    } restore{previous};

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setpgroup(&attributes, 0);  // a terminal's Ctrl-C reaches us; we stop ffmpeg
    posix_spawnattr_setflags(&attributes,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t child = 0;
    const int spawned = posix_spawnp(&child, args[0], nullptr, &attributes, args.data(), environ);
    posix_spawnattr_destroy(&attributes);
    if (spawned != 0)
        return refuse(ExitStatus::Refused, argv[0] + ": " + std::strerror(spawned));

    std::string asked;  // why we stopped it, if we did
    std::optional<std::chrono::steady_clock::time_point> kill_at;
    while (true) {
        int status = 0;
        const pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) {
            if (!asked.empty())
                return FeedEnd{asked, false};
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return FeedEnd{"ffmpeg: the source ended", false};
            if (WIFEXITED(status))
                return FeedEnd{"ffmpeg exited with status " + std::to_string(WEXITSTATUS(status)), true};
            return FeedEnd{"ffmpeg was killed by signal " + std::to_string(WTERMSIG(status)), true};
        }
        if (asked.empty() && std::chrono::system_clock::now() >= deadline) {
            asked = "the channel reached its end time";
            kill(child, SIGINT);
            kill_at = std::chrono::steady_clock::now() + std::chrono::seconds{5};
        }
        if (kill_at && std::chrono::steady_clock::now() >= *kill_at) {
            kill(child, SIGKILL);
            kill_at.reset();
        }
        timespec wait{0, 200'000'000};
        const int signal = sigtimedwait(&stop_signals, nullptr, &wait);
        if ((signal == SIGINT || signal == SIGTERM) && asked.empty()) {
            asked = std::string("stopped by ") + (signal == SIGINT ? "SIGINT" : "SIGTERM");
            kill(child, SIGINT);
            kill_at = std::chrono::steady_clock::now() + std::chrono::seconds{5};
        }
    }
}

Outcome<void> live_run(Context& context, const LiveOptions& options) {
    if (options.zones.empty())
        return refuse(ExitStatus::Usage, "give at least one --zone");
    if (options.input.empty())
        return refuse(ExitStatus::Usage, "give --input: an ALSA device (hw:1,0) or a file");
    nlohmann::json request{{"zones", options.zones}, {"level", options.level}};
    if (!options.duration.empty()) {
        auto seconds = duration_seconds(options.duration);
        if (!seconds)
            return std::unexpected(seconds.error());
        request["duration_s"] = *seconds;
    }
    auto opened = context.post("/live", request);
    if (!opened)
        return std::unexpected(opened.error());
    const std::string id = cell(*opened, "id");
    const std::string source_url = opened->value("source_url", "");
    if (!context.print_json(*opened))
        context.out() << "live " << id << " open (" << cell(*opened, "level") << ", zones "
                      << cell(*opened, "zones") << ") until " << cell(*opened, "ends_at")
                      << "; devices listen on " << cell(*opened, "url") << "\n"
                      << std::flush;
    auto deadline = std::chrono::system_clock::time_point::max();
    if (auto ends = parse_utc(opened->value("ends_at", "")))
        deadline = std::chrono::time_point_cast<std::chrono::system_clock::duration>(*ends);
    auto fed =
        run_feed(live_ffmpeg_argv(options.ffmpeg, options.input, source_url, options.bitrate), deadline);
    auto closed = context.post("/live/" + id + "/close");
    if (!fed)
        return std::unexpected(fed.error());
    if (!closed)
        return std::unexpected(closed.error());
    if (!context.json())
        context.out() << "live " << id << " closed: " << fed->how << "\n";
    if (fed->failed)
        return refuse(ExitStatus::Refused, fed->how);
    return {};
}

}  // namespace

void register_live_commands(Registrar& registrar) {
    auto options = std::make_shared<LiveOptions>();
    CLI::App* live = registrar.command(registrar.root, "live",
                                       "Speak live to zones: open a channel, feed it with ffmpeg, close it",
                                       [options](Context& context) { return live_run(context, *options); });
    live->add_option("--zone", options->zones, "Zone to reach (repeat for more)")->required();
    live->add_option("--input", options->input, "An ALSA capture device (hw:1,0) or an audio file")
        ->required();
    live->add_option("--level", options->level, "normal, priority (default) or emergency");
    live->add_option("--duration", options->duration,
                     "Longest the channel stays open (30m, 1h); default: the controller's");
    live->add_option("--ffmpeg", options->ffmpeg, "The ffmpeg program (default: ffmpeg in PATH)");
    live->add_option("--bitrate", options->bitrate, "Opus bitrate (default 64k)");
}

}  // namespace bantin::cli::detail
