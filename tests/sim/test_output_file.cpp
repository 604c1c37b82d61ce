// Output files: path checks, safe default names, temporaries that are exclusive, unpredictable,
// short enough, and removed only when they are still ours (docs/RELIABILITY.md).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/output_file.hpp"
#include "tests/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace essaim;
using essaim::test::TempDir;

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string path_error(const std::string& path, const std::vector<std::string>& inputs = {}) {
    try {
        output::check_path(path, inputs);
    } catch (const output::PathError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("output: default names keep ASCII letters and digits and '-' '_' '.' only") {
    CHECK(output::safe_file_name("docking-3t_v1.2.h5") == "docking-3t_v1.2.h5");
    CHECK(output::safe_file_name("../../escape.h5") == "_._.._escape.h5");
    CHECK(output::safe_file_name("...h5") == "_..h5");
    CHECK(output::safe_file_name("a/b\\c d") == "a_b_c_d");
    CHECK(output::safe_file_name("Béthune") == "B__thune");
    CHECK(output::safe_file_name(std::string("a\0b", 3)) == "a_b");
    for (const char* name : {"", ".", "..", ".hidden", "...", "/"}) {
        const std::string safe = output::safe_file_name(name);
        CAPTURE(name);
        CHECK_FALSE(safe.empty());
        CHECK(safe != ".");
        CHECK(safe != "..");
        CHECK(safe.front() != '.');
        CHECK(safe.find('/') == std::string::npos);
    }
}

TEST_CASE("output: a path that exists and is not a regular file is refused") {
    TempDir dir;
    const std::string fifo = dir.file("fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const std::string socket_path = dir.file("socket");
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    fs::create_directory(dir.path / "sub");
    fs::create_symlink(dir.path / "sub", dir.path / "link-to-dir");
    fs::create_symlink("/dev/null", dir.path / "link-to-null");

    CHECK(contains(path_error("/dev/null"), "is a character device, not a regular file"));
    CHECK(contains(path_error(fifo), "is a FIFO"));
    CHECK(contains(path_error(socket_path), "is a socket"));
    CHECK(contains(path_error(dir.file("sub")), "is a directory"));
    CHECK(contains(path_error(dir.file("sub") + "/"), "names a directory"));
    CHECK(contains(path_error(dir.file("link-to-dir")), "is a link to a directory"));
    CHECK(contains(path_error(dir.file("link-to-null")), "is a link to a character device"));
    CHECK(contains(path_error(""), "empty"));
    ::close(fd);
}

TEST_CASE("output: a regular file or a new name or a dangling link may be written") {
    TempDir dir;
    const std::string existing = dir.write("old.h5", "old");
    fs::create_symlink(dir.path / "nowhere", dir.path / "dangling");
    CHECK(path_error(existing) == "");
    CHECK(path_error(dir.file("new.h5")) == "");
    CHECK(path_error(dir.file("dangling")) == "");
    CHECK(path_error(dir.file(std::string(255, 'a'))) == "");
}

TEST_CASE("output: the input file is refused however it is spelt") {
    TempDir dir;
    const std::string scenario = dir.write("s.toml", "[scenario]\n");
    fs::create_hard_link(scenario, dir.path / "hard.toml");
    fs::create_symlink(scenario, dir.path / "soft.toml");
    const std::string dotted = (dir.path / "." / "s.toml").string();
    for (const std::string& output :
         {scenario, dotted, dir.file("hard.toml"), dir.file("soft.toml")}) {
        CAPTURE(output);
        CHECK(contains(path_error(output, {scenario}), "is the input file"));
    }
    CHECK(path_error(dir.file("other.h5"), {scenario}) == "");
}

TEST_CASE("output: a missing directory or an overlong name is refused") {
    TempDir dir;
    CHECK(contains(path_error(dir.file("missing/out.h5")), "does not exist"));
    const std::string file = dir.write("file", "x");
    CHECK(contains(path_error(file + "/out.h5"), "is not a directory"));
    CHECK(contains(path_error(dir.file(std::string(256, 'a'))), "256 bytes"));
}

TEST_CASE("output: exclusive creation never follows a link nor touches what is there") {
    TempDir dir;
    const std::string victim = dir.write("victim", "precious");
    fs::create_symlink(victim, dir.path / "link");
    fs::create_symlink(dir.path / "absent", dir.path / "dangling");
    fs::create_directory(dir.path / "planted");
    dir.write("planted/inside", "x");

    CHECK(output::create_exclusively(dir.file("link")) == EEXIST);
    CHECK(output::create_exclusively(dir.file("dangling")) == EEXIST);
    CHECK(output::create_exclusively(dir.file("planted")) == EEXIST);
    CHECK(read(victim) == "precious");
    CHECK_FALSE(fs::exists(dir.path / "absent"));
    CHECK(fs::exists(dir.path / "planted" / "inside"));
    CHECK(output::create_exclusively(dir.file("new")) == 0);
    CHECK(fs::is_regular_file(dir.path / "new"));
}

TEST_CASE("output: temporaries are hidden and unpredictable beside the target within NAME_MAX") {
    TempDir dir;
    for (const std::size_t length : {1u, 100u, 237u, 238u, 253u, 255u}) {
        const std::string target = dir.file(std::string(length, 'x'));
        output::Temporary first = output::Temporary::create(target);
        output::Temporary second = output::Temporary::create(target);
        CAPTURE(length);
        CHECK(first.path() != second.path());
        for (const fs::path path : {first.path(), second.path()}) {
            CHECK(path.parent_path() == dir.path);
            CHECK(path.filename().string().front() == '.');
            CHECK(path.filename().string().size() <= 255);
            CHECK(fs::is_regular_file(path));
        }
    }
    CHECK(dir.entries().empty());  // every temporary was removed by its destructor
}

TEST_CASE("output: something at the temporary's name is skipped and not replaced") {
    TempDir dir;
    const std::string target = dir.file("out.csv");
    std::vector<std::string> tried;
    output::Temporary temporary = output::Temporary::create(target, [&](const std::string& name) {
        tried.push_back(name);
        if (tried.size() < 3) {  // as if someone had planted something at these names
            fs::create_directory(name);
            return false;
        }
        return output::create_exclusively(name) == 0;
    });
    REQUIRE(tried.size() == 3);
    CHECK(tried[0] != tried[1]);
    CHECK(temporary.path() == tried[2]);
    temporary.discard();
    CHECK(fs::is_directory(tried[0]));
    CHECK(fs::is_directory(tried[1]));
    CHECK_FALSE(fs::exists(tried[2]));
}

TEST_CASE("output: commit replaces the target and discard removes only the file it created") {
    TempDir dir;
    const std::string target = dir.write("out.toml", "old");
    {
        output::Temporary temporary = output::Temporary::create(target);
        temporary.write("new");
        temporary.commit();
    }
    CHECK(read(target) == "new");
    CHECK(dir.entries() == std::vector<std::string>{"out.toml"});

    std::string path;
    {
        output::Temporary temporary = output::Temporary::create(target);
        path = temporary.path();
        // Someone replaces our temporary with a directory of theirs.
        fs::remove(path);
        fs::create_directory(path);
        CHECK_THROWS_AS(temporary.commit(), IoError);
    }
    CHECK(fs::is_directory(path));
    CHECK(read(target) == "new");
}

TEST_CASE("output: write_atomically writes and replaces and leaves no temporary") {
    TempDir dir;
    const std::string target = dir.file(std::string(253, 'n'));
    output::write_atomically(target, "one");
    output::write_atomically(target, "two");
    CHECK(read(target) == "two");
    CHECK(dir.entries().size() == 1);
}

TEST_CASE("output: a full disk is an IoError with the system's reason and the old file intact") {
    TempDir dir;
    const std::string target = dir.write("out.toml", "old");
    std::fflush(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // RLIMIT_FSIZE makes write(2) fail with EFBIG, through the same path as ENOSPC.
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{1000, 1000};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        int code = 3;
        try {
            output::write_atomically(target, std::string(100000, 'x'));
        } catch (const IoError& e) {
            code = contains(e.what(), target) && contains(e.what(), std::strerror(EFBIG)) ? 0 : 4;
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(read(target) == "old");
    CHECK(dir.entries() == std::vector<std::string>{"out.toml"});
}
