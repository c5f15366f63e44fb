// The networks of the paper's Table 2 (Garbus & Pollack, "Low Rank Factorizations are Indirect
// Encodings for Deep Neuroevolution"), written the way the paper gives them: biases on every
// conv and dense layer, the default padding 0. Inputs: CarRacing 12x64x64 (4 stacked RGB
// frames), Atari 12x84x84. The Atari output layer carries its own direct representation, so a
// factorized condition leaves it direct as the paper does. Shared by the genome tests.
#pragma once

namespace seedline::genome::testing {

inline const char* kCarRacing = R"([
    {"type": "conv", "out": 32, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "conv", "out": 64, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "conv", "out": 128, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "conv", "out": 256, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "flatten"},
    {"type": "dense", "out": 256, "activation": "relu"},
    {"type": "dense", "out": 3}])";
inline const char* kCarRacingSmall = R"([
    {"type": "conv", "out": 4, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "conv", "out": 4, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "conv", "out": 8, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "conv", "out": 16, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "flatten"},
    {"type": "dense", "out": 32, "activation": "relu"},
    {"type": "dense", "out": 3}])";
inline const char* kAtari = R"([
    {"type": "conv", "out": 32, "kernel": 8, "stride": 4, "activation": "relu"},
    {"type": "conv", "out": 64, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "conv", "out": 64, "kernel": 3, "stride": 1, "activation": "relu"},
    {"type": "flatten"},
    {"type": "dense", "out": 256, "activation": "relu"},
    {"type": "dense", "out": 18, "representation": {"type": "direct"}}])";
inline const char* kAtariSmall = R"([
    {"type": "conv", "out": 4, "kernel": 8, "stride": 4, "activation": "relu"},
    {"type": "conv", "out": 8, "kernel": 4, "stride": 2, "activation": "relu"},
    {"type": "conv", "out": 8, "kernel": 3, "stride": 1, "activation": "relu"},
    {"type": "flatten"},
    {"type": "dense", "out": 32, "activation": "relu"},
    {"type": "dense", "out": 18}])";

}  // namespace seedline::genome::testing
