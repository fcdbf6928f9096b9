// `scalelab train` and `scalelab info` through the built binary: every bad input of
// issue 2 exits with code 2, one line on stderr naming the field or file, and leaves no
// output directory behind; a good run writes its outputs and resumes exactly.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"

namespace {

namespace fs = std::filesystem;
using scalelab::Json;

class Scratch {
 public:
  Scratch() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("scalelab_train_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

struct Result {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs build/scalelab with `args` (already shell-quoted where needed).
Result scalelab(const Scratch& dir, const std::string& args) {
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd = std::string(SCALELAB_BINARY_DIR) + "/scalelab " + args + " >" + out.string() + " 2>" +
                          err.string() + " </dev/null";
  const int status = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string sample() { return std::string(SCALELAB_SOURCE_DIR) + "/tests/data/corpus/train_sample.txt"; }

// A small, fast run (one thread: CI machines are shared).
std::string tiny(const std::string& data) {
  return "--set data.path=" + data +
         " --set model.d_model=32 --set model.seq_len=32 --set train.batch_size=4 --set train.steps=6"
         " --set train.eval_every=3 --set train.threads=1 --set data.val_max_tokens=1024";
}

// Writes an llm.c uint16 shard by hand: 256 x int32 header {magic, version, count}, tokens.
void write_shard(const fs::path& p, int32_t magic, const std::vector<uint16_t>& tokens, int64_t claimed) {
  std::vector<int32_t> header(256, 0);
  header[0] = magic;
  header[1] = 1;
  header[2] = static_cast<int32_t>(claimed);
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(header.data()), 1024);
  f.write(reinterpret_cast<const char*>(tokens.data()), static_cast<std::streamsize>(tokens.size() * 2));
}

// The contract for bad input: exit 2, exactly one line on stderr holding every `part`,
// and no output directory.
void expect_bad_input(const Scratch& dir, const std::string& args, const std::vector<std::string>& parts) {
  const fs::path out = dir / "out";
  const Result r = scalelab(dir, "train " + args + " --out " + out.string());
  EXPECT_EQ(r.code, 2) << args << "\nstderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\nstderr: " << r.err;
  for (const auto& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << args << "\nstderr: " << r.err << "\nlacks: " << p;
  EXPECT_FALSE(fs::exists(out)) << args << ": left an output directory";
}

TEST(TrainCli, MissingEmptyAndTooShortData) {
  Scratch dir;
  expect_bad_input(dir, tiny((dir / "nope.txt").string()), {"nope.txt"});
  std::ofstream(dir / "empty.txt").close();
  expect_bad_input(dir, tiny((dir / "empty.txt").string()), {"empty.txt", "empty"});
  fs::create_directories(dir / "emptydir");
  expect_bad_input(dir, tiny((dir / "emptydir").string()), {"emptydir"});
  std::ofstream(dir / "short.txt") << "Only a few words, fewer than one sequence.";
  expect_bad_input(dir, tiny((dir / "short.txt").string()), {"data."});
}

TEST(TrainCli, UnreadableData) {
  Scratch dir;
  if (::geteuid() != 0) {
    std::ofstream(dir / "locked.txt") << std::string(10000, 'a');
    fs::permissions(dir / "locked.txt", fs::perms::none);
    expect_bad_input(dir, tiny((dir / "locked.txt").string()), {"locked.txt"});
    return;
  }
  // Root reads any file whatever its mode; /proc/self/mem exists but cannot be read as
  // a stream, even by root.
  if (!fs::exists("/proc/self/mem")) GTEST_SKIP() << "root without /proc: no unreadable file to test with";
  expect_bad_input(dir, tiny("/proc/self/mem"), {"/proc/self/mem"});
}

TEST(TrainCli, BadShards) {
  Scratch dir;
  const std::vector<uint16_t> tokens(5000, 65);
  write_shard(dir / "magic.bin", 12345, tokens, 5000);
  expect_bad_input(dir, tiny((dir / "magic.bin").string()), {"magic.bin", "magic"});
  write_shard(dir / "cut.bin", 20240520, tokens, 9000);  // header claims more than the body holds
  expect_bad_input(dir, tiny((dir / "cut.bin").string()), {"cut.bin"});
}

TEST(TrainCli, BadConfigs) {
  Scratch dir;
  const std::string data = sample();
  std::ofstream(dir / "bad.toml") << "[model\nn_layer = 2\n";
  expect_bad_input(dir, "--config " + (dir / "bad.toml").string() + " " + tiny(data), {"bad.toml", "TOML"});
  std::ofstream(dir / "unknown.toml") << "[model]\nwidth = 64\n";
  expect_bad_input(dir, "--config " + (dir / "unknown.toml").string() + " " + tiny(data),
                   {"unknown.toml", "model.width"});
  expect_bad_input(dir, "--config " + (dir / "absent.toml").string() + " " + tiny(data), {"absent.toml"});
  const std::vector<std::pair<std::string, std::string>> sets = {
      {"model.colour=1", "model.colour"},
      {"model.n_head=3", "model.n_head"},
      {"model.n_layer=0", "model.n_layer"},
      {"model.d_model=-64", "model.d_model"},
      {"model.seq_len=0", "model.seq_len"},
      {"train.batch_size=0", "train.batch_size"},
      {"train.steps=-1", "train.steps"},
      {"train.lr=0", "train.lr"},
      {"train.lr=-0.001", "train.lr"},
      {"data.val_fraction=0", "data.val_fraction"},
      {"data.val_fraction=1", "data.val_fraction"},
      {"data.val_fraction=-0.5", "data.val_fraction"},
      {"train.tokens=100000", "train.tokens"},  // tiny() already gives train.steps
      {"train.schedule=step", "train.schedule"},
      {"train.device=tpu", "train.device"},
  };
  for (const auto& [set, field] : sets) expect_bad_input(dir, tiny(data) + " --set " + set, {field});
}

TEST(TrainCli, TrainsResumesAndRefusesAnotherConfigsCheckpoint) {
  Scratch dir;
  const std::string out = (dir / "run").string();
  Result r = scalelab(dir, "train " + tiny(sample()) + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  // One greppable line per step and per validation.
  EXPECT_NE(r.err.find("step 1/6 loss "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("step 6/6 loss "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("eval 3/6 val_loss "), std::string::npos) << r.err;
  const Json summary = Json::parse(slurp(dir / "run/summary.json"));
  for (const char* key : {"params_total", "params_nonembedding", "flops_per_token", "tokens_trained",
                          "final_train_loss", "final_val_loss", "final_val_bpb", "tokens_per_second",
                          "wall_seconds", "config"})
    EXPECT_TRUE(summary.contains(key)) << key;
  const std::string metrics = slurp(dir / "run/metrics.jsonl");
  EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), 6 + 2);

  // Stop half-way, then the same command resumes and ends with the same metrics.
  const std::string out2 = (dir / "run2").string();
  r = scalelab(dir, "train " + tiny(sample()) + " --stop-after 3 --out " + out2);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir / "run2/summary.json"));
  r = scalelab(dir, "train " + tiny(sample()) + " --out " + out2);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming from " + out2 + "/checkpoint.bin at step 3/6"), std::string::npos) << r.err;
  auto strip_timing = [](const std::string& text) {
    std::vector<Json> v;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      Json j = Json::parse(line);
      j.erase("tokens_per_second");
      v.push_back(j);
    }
    return v;
  };
  EXPECT_EQ(strip_timing(metrics), strip_timing(slurp(dir / "run2/metrics.jsonl")));

  // A checkpoint from another config: refused, naming file and field; nothing changes.
  const std::string ck_before = slurp(dir / "run/checkpoint.bin");
  r = scalelab(dir, "train " + tiny(sample()) + " --set model.d_model=64 --out " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(out + "/checkpoint.bin"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("model.d_model"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(dir / "run/checkpoint.bin"), ck_before);
}

TEST(InfoCli, PrintsCountsWithoutData) {
  Scratch dir;
  // (2, 64, 2, 128), vocab 256: non-embedding 2 (12 C^2 + 13 C) + 2C = 100096 (Kaplan et
  // al. 2020); embeddings V C + T C = 24576.
  Result r = scalelab(dir, "info --set data.path=/does/not/exist --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["params_nonembedding"], 100096);
  EXPECT_EQ(j["params_total"], 124672);
  EXPECT_EQ(j["flops_per_token_6n"], 6.0 * 100096);
  EXPECT_EQ(j["shape"]["head_size"], 32);
  EXPECT_EQ(j["tokens_per_step"], 16 * 128);
  EXPECT_GT(j["memory_activation_bytes"].get<int64_t>(), 0);
  r = scalelab(dir, "info --set model.n_layer=4 --set model.d_model=128 --set model.n_head=4");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("n_layer 4 d_model 128 n_head 4 head_size 32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nonembedding 793344"), std::string::npos) << r.out;  // 4 (12*128^2 + 13*128) + 256
  r = scalelab(dir, "info --set model.n_head=5");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("model.n_head"), std::string::npos) << r.err;
}

}  // namespace
