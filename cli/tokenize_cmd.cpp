// seedline tokenize TEXT --model M --out TOKENS [--vocab 2048] [--delimiter D]: BPE-encode a
// corpus into the language_model task's token file, training the model when M does not exist.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "common.hpp"
#include "text/tokenizer.hpp"

namespace seedline::cli {
namespace {

struct TokenizeArgs {
  text::TokenizeOptions options;
  std::string delimiter;
  bool json = false;
};

void run_tokenize(TokenizeArgs& args) {
  if (!args.delimiter.empty()) args.options.delimiter = args.delimiter;
  const bool tty = ::isatty(2) != 0;
  if (tty) {
    args.options.progress = [](int64_t done, int64_t total) {
      std::fprintf(stderr, "\rencoding: %lld / %lld records", static_cast<long long>(done),
                   static_cast<long long>(total));
      if (done == total) std::fputc('\n', stderr);
    };
    if (!std::filesystem::exists(args.options.model)) std::fprintf(stderr, "training a BPE model ...\n");
  }
  const auto r = text::tokenize_corpus(args.options);
  if (args.json) {
    print_json({{"trained", r.trained},
                {"vocab", r.vocab},
                {"network_vocab", r.vocab + 3},
                {"records", r.records},
                {"tokens", r.tokens},
                {"model", args.options.model.string()},
                {"out", args.options.out.string()}});
    return;
  }
  std::cout << (r.trained ? "trained " : "loaded ") << args.options.model.string() << " (" << r.vocab
            << " BPE tokens: use \"vocab\": " << r.vocab + 3 << " in the transformer layer)\n"
            << "wrote " << r.records << " sequences, " << r.tokens << " tokens to " << args.options.out.string()
            << "\n";
}

}  // namespace

void register_tokenize_command(CLI::App& app, const GlobalOptions& /*global*/) {
  auto* cmd = app.add_subcommand(
      "tokenize", "BPE-encode a text corpus into a token file (trains the model with SentencePiece if it is new)");
  auto args = std::make_shared<TokenizeArgs>();
  cmd->add_option("TEXT", args->options.text, "The corpus (UTF-8 text)")->required();
  cmd->add_option("--model", args->options.model, "SentencePiece model file: used if it exists, else trained here")
      ->required();
  cmd->add_option("--out", args->options.out, "The token file to write (one sequence per line)")->required();
  cmd->add_option("--vocab", args->options.vocab, "BPE tokens when training (default 2048)");
  cmd->add_option("--delimiter", args->delimiter, "Records are separated by this string (default: one per line)");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args] { run_tokenize(*args); });
}

}  // namespace seedline::cli
