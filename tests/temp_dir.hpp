#pragma once
// A fresh directory for one test case, removed with everything in it at the end.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace essaim::test {

class TempDir {
public:
    TempDir() {
        static int counter = 0;  // test cases of one executable run one after the other
        path = std::filesystem::temp_directory_path() /
               ("essaim-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string file(const std::string& name) const { return (path / name).string(); }
    // Writes `text` to `name` (creating its directories); returns the file's path.
    std::string write(const std::string& name, const std::string& text) const {
        const std::filesystem::path target = path / name;
        std::filesystem::create_directories(target.parent_path());
        std::ofstream(target) << text;
        return target.string();
    }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(path))
            names.push_back(entry.path().filename().string());
        return names;
    }

    std::filesystem::path path;
};

}  // namespace essaim::test
