// The mujoco humanoid's environment steps per second per thread (one step = frame_skip 5
// mj_steps), printed side by side in one run:
//   - bare: a loop of mj_step with zero controls on the same model, through the same episodes
//     as the zero-policy task (the same reset noise, reset when the torso drops below 1.0 m):
//     MuJoCo's own cost, the baseline;
//   - task, zero policy: the humanoid task (reset noise, observation, action mapping,
//     mj_kinematics, reward, termination) with a policy that writes zeros: seedline's
//     bookkeeping alone;
//   - task, 2 x 256 tanh policy: the same with the network of examples/humanoid.json
//     (53-256-256-21, 85,013 parameters) built from a genome's phenotype as the runner builds it.
// The overhead is (bare rate / task rate - 1) (target <= 25 % at this policy size). The bare
// loop and the zero-policy task simulate the same states, so their difference is the task's
// bookkeeping; a random 2 x 256 policy moves the humanoid elsewhere (another mix of contacts,
// which changes mj_step's cost by several per cent either way), so the forward pass is also
// timed alone and bookkeeping + forward is printed as the overhead. Then 1 against 2 threads for the task with the policy and for the bare
// loop (target: 2 threads >= 1.8 x one thread on a quiet machine; the bare loop's ratio is what
// the machine allows).
// Per-thread figures are environment steps per CPU second of the thread, measured in
// interleaved rounds (a loaded machine slows every variant alike); the thread scaling is wall
// clock, printed with the cores the threads actually got.
// Usage: mujoco_bench [ENV_STEPS per variant (default 20000)]
#include <mujoco/mujoco.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "evolve/experiment.hpp"
#include "genome/policy_network.hpp"
#include "genome/run_genome.hpp"
#include "tasks/episode_random.hpp"
#include "tasks/mujoco_task.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

const char* kExperiment = R"({
  "task": {"type": "mujoco", "env": "humanoid", "max_steps": 1000},
  "network": [{"type": "dense", "out": 256, "activation": "tanh"},
              {"type": "dense", "out": 256, "activation": "tanh"},
              {"type": "dense"}],
  "representation": {"type": "direct"}})";

class ZeroPolicy final : public tasks::Policy {
 public:
  void act(std::span<const float> /*obs*/, std::span<float> out) override { std::fill(out.begin(), out.end(), 0.0f); }
};

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Time of `threads` threads each running `steps` environment steps: wall seconds and the CPU
// seconds the threads got (their sum).
struct Timing {
  double wall = 0;
  double cpu = 0;
  Timing& operator+=(const Timing& o) {
    wall += o.wall;
    cpu += o.cpu;
    return *this;
  }
};
template <typename Fn>
Timing timed(int threads, int64_t steps, const Fn& work) {
  std::vector<double> cpu(static_cast<size_t>(threads));
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const double c0 = thread_cpu_seconds();
      work(t, steps);
      cpu[static_cast<size_t>(t)] = thread_cpu_seconds() - c0;
    });
  }
  for (auto& th : pool) th.join();
  Timing r;
  r.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  for (const double c : cpu) r.cpu += c;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t steps = argc > 1 ? std::atoll(argv[1]) : 20000;
  const auto spec = evolve::parse_experiment(kExperiment, "mujoco_bench");
  const auto& condition = spec.conditions.at(0);
  const auto task_ptr = tasks::make_task(condition.task);
  const auto& task = dynamic_cast<const tasks::MujocoTask&>(*task_ptr);
  const auto genome = genome::genome_for_condition(condition, 1);
  const auto phenotype = genome.develop(genome.init(2017));
  const auto network = genome::build_policy_network(genome.architecture(), phenotype, genome.kernel_version());
  const mjModel* m = task.model();
  const int frame_skip = task.spec().frame_skip;

  // The task: whole episodes until `n` environment steps have run.
  const auto task_loop = [&](bool with_policy) {
    return [&, with_policy](int thread, int64_t n) {
      ZeroPolicy zero;
      const auto policy = network->make_policy();
      tasks::Policy& p = with_policy ? *policy : static_cast<tasks::Policy&>(zero);
      uint64_t seed = 1000 * static_cast<uint64_t>(thread);
      for (int64_t done = 0; done < n;) done += task.run_episode(p, seed++).steps;
    };
  };
  // MuJoCo alone: zero controls, frame_skip mj_steps per environment step, and the task's
  // episodes (the same seeds, reset noise and fall height), so the physics is the zero-policy
  // task's, state for state.
  const auto bare_loop = [&](int thread, int64_t n) {
    mjData* d = mj_makeData(m);
    const int torso = task.torso_body();
    uint64_t seed = 1000 * static_cast<uint64_t>(thread);
    const auto reset = [&] {
      mj_resetData(m, d);
      tasks::EpisodeRandom random(seed++);
      for (int i = 0; i < m->nq; ++i) d->qpos[i] = m->qpos0[i] + random.uniform(-0.01, 0.01);
      for (int i = 0; i < m->nv; ++i) d->qvel[i] = random.uniform(-0.01, 0.01);
      mj_forward(m, d);
    };
    reset();
    for (int64_t done = 0, t = 0; done < n; ++done) {
      for (int k = 0; k < frame_skip; ++k) mj_step(m, d);
      if (d->xpos[3 * torso + 2] <= task.spec().healthy_z[0] || ++t == task.spec().max_steps) {
        reset();
        t = 0;
      }
    }
    mj_deleteData(d);
  };

  // A warm-up (page faults, caches), then `rounds` rounds in which every variant runs its
  // share in turn, so a change in the machine's load hits all of them alike. Per-thread rates
  // are steps per CPU second of the thread (what one thread does when it has a core); the
  // thread scaling uses wall time, with the cores the threads actually got beside it.
  constexpr int kRounds = 5;
  const int64_t per_round = std::max<int64_t>(1, steps / kRounds);
  timed(1, std::min<int64_t>(per_round, 2000), task_loop(true));
  Timing bare1, zero1, policy1, bare2, policy2;
  for (int r = 0; r < kRounds; ++r) {
    bare1 += timed(1, per_round, bare_loop);
    zero1 += timed(1, per_round, task_loop(false));
    policy1 += timed(1, per_round, task_loop(true));
    bare2 += timed(2, per_round, bare_loop);
    policy2 += timed(2, per_round, task_loop(true));
  }
  // The policy's forward pass alone, on a fixed observation: what it adds to a step whatever
  // the physics does (a random policy falls differently from a zero one).
  double forward_us = 0;
  {
    const auto policy = network->make_policy();
    std::vector<float> obs(static_cast<size_t>(task.observation_size()), 0.1f), out(static_cast<size_t>(task.action_size()));
    constexpr int kCalls = 20000;
    const double c0 = thread_cpu_seconds();
    for (int i = 0; i < kCalls; ++i) {
      obs[static_cast<size_t>(i) % obs.size()] += 1e-3f;
      policy->act(obs, out);
    }
    forward_us = 1e6 * (thread_cpu_seconds() - c0) / kCalls;
  }
  const double n1 = static_cast<double>(per_round) * kRounds, n2 = 2 * n1;
  const double bare = n1 / bare1.cpu, zero = n1 / zero1.cpu, policy = n1 / policy1.cpu;

  std::printf("mujoco humanoid (MuJoCo %s, %s, timestep %.3f s, frame_skip %d): %lld environment steps per "
              "variant and thread, %d interleaved rounds\n",
              mj_versionString(), task.spec().model.c_str(), m->opt.timestep, frame_skip,
              static_cast<long long>(n1), kRounds);
  std::printf("%-36s %18s %10s %12s\n", "1 thread", "env steps/CPU s", "us/step", "vs bare");
  std::printf("%-36s %18.0f %10.1f %12s\n", "bare mj_step loop, zero controls", bare, 1e6 / bare, "baseline");
  std::printf("%-36s %18.0f %10.1f %+10.1f %%\n", "task, zero policy", zero, 1e6 / zero, 100.0 * (bare / zero - 1));
  std::printf("%-36s %18.0f %10.1f %+10.1f %%\n", "task, 2 x 256 tanh policy", policy, 1e6 / policy,
              100.0 * (bare / policy - 1));
  std::printf("%-36s %18.0f %10.1f %+10.1f %%\n", "2 x 256 forward pass alone", 1e6 / forward_us, forward_us,
              100.0 * forward_us * bare / 1e6);
  std::printf("seedline's overhead with the 2 x 256 policy: %.1f %% measured, %.1f %% as bookkeeping + forward "
              "(target <= 25 %%)\n",
              100.0 * (bare / policy - 1), 100.0 * (bare / zero - 1) + 100.0 * forward_us * bare / 1e6);
  std::printf("wall-clock rates, 1 thread: bare %.0f, zero policy %.0f, policy %.0f steps/s\n", n1 / bare1.wall,
              n1 / zero1.wall, n1 / policy1.wall);
  std::printf("%-36s %16s %16s %8s\n", "threads (wall clock)", "1 thread", "2 threads", "ratio");
  std::printf("%-36s %16.0f %16.0f %7.2fx (cores got %.2f)\n", "bare mj_step loop", n1 / bare1.wall,
              n2 / bare2.wall, (n2 / bare2.wall) / (n1 / bare1.wall), bare2.cpu / bare2.wall);
  std::printf("%-36s %16.0f %16.0f %7.2fx (cores got %.2f; target >= 1.8x)\n", "task, 2 x 256 tanh policy",
              n1 / policy1.wall, n2 / policy2.wall, (n2 / policy2.wall) / (n1 / policy1.wall),
              policy2.cpu / policy2.wall);
  return 0;
}
