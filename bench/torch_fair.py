"""How the benches' PyTorch anchors run (bench/lm_torch.py, bench/conv_torch.py; issue 19 item 4).

Two allocators, chosen per process with --allocator:
  jemalloc  the fair anchor: the process re-executes itself once with LD_PRELOAD=libjemalloc.so.2
            and MALLOC_CONF=JEMALLOC_CONF, an allocator that keeps freed memory mapped, so a
            tensor allocated on every pass reuses pages already faulted in (as a preallocated
            output would). Measured on the 2-core development machine (lm_torch.py, 4 passes,
            whole process): glibc 1.28 M minor faults, jemalloc defaults 1.30 M, retain:true
            alone 1.37 M, retain:true + dirty/muzzy decay -1 0.19-0.21 M, and 0 faults per timed
            pass. Never returning dirty pages (decay -1) is what removes the faults.
  glibc     the plain run: glibc's malloc, which returns large blocks to the kernel (munmap or
            trim) when a tensor is freed, so every pass page-faults its big tensors afresh.
Every process also reports its minor page faults (getrusage(RUSAGE_SELF).ru_minflt).

Not thread-safe and not meant to be: each bench script is one process, set up once at start.
"""
import json
import os
import resource
import subprocess
import sys

JEMALLOC_CONF = 'retain:true,dirty_decay_ms:-1,muzzy_decay_ms:-1'
_REEXEC = 'SEEDLINE_BENCH_ALLOCATOR_SET'


def find_jemalloc():
    """The path of libjemalloc.so.2 (Debian's libjemalloc2), or None."""
    for path in ('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/lib/x86_64-linux-gnu/libjemalloc.so.2',
                 '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2', '/usr/lib64/libjemalloc.so.2',
                 '/usr/lib/libjemalloc.so.2'):
        if os.path.exists(path):
            return path
    try:
        listing = subprocess.run(['ldconfig', '-p'], capture_output=True, text=True, check=False).stdout
    except OSError:
        return None
    for line in listing.splitlines():
        if 'libjemalloc.so' in line and '=>' in line:
            path = line.split('=>', 1)[1].strip()
            if os.path.exists(path):
                return path
    return None


def _jemalloc_loaded():
    try:
        with open('/proc/self/maps') as maps:
            return 'libjemalloc' in maps.read()
    except OSError:
        return False


def emit(result):
    """Prints the one JSON object the C++ bench reads."""
    print(json.dumps(result), flush=True)


def unavailable(reason, **fields):
    """Reports that this anchor cannot be measured (exit status 0: the bench prints the reason)."""
    emit(dict(fields, unavailable=reason))
    sys.exit(0)


def use_allocator(allocator):
    """Makes this process run on `allocator` ('jemalloc' or 'glibc'), re-executing it at most once;
    returns a description for the JSON. Call before importing torch."""
    preload = [p for p in os.environ.get('LD_PRELOAD', '').split() if p]
    if allocator == 'jemalloc':
        if _jemalloc_loaded():
            return 'jemalloc (%s) MALLOC_CONF=%s' % (os.environ.get('LD_PRELOAD', ''), os.environ.get('MALLOC_CONF', ''))
        if os.environ.get(_REEXEC):
            unavailable('fair anchor unavailable: LD_PRELOAD=%s did not load jemalloc' % os.environ.get('LD_PRELOAD', ''),
                        allocator='jemalloc')
        path = find_jemalloc()
        if path is None:
            unavailable('fair anchor unavailable: libjemalloc.so.2 not found (install libjemalloc2: scripts/setup.sh)',
                        allocator='jemalloc')
        env = dict(os.environ, LD_PRELOAD=' '.join([path] + preload), MALLOC_CONF=JEMALLOC_CONF)
    else:
        if not _jemalloc_loaded():
            return 'glibc malloc'
        if os.environ.get(_REEXEC):
            unavailable('could not drop jemalloc from LD_PRELOAD', allocator='glibc')
        env = dict(os.environ, LD_PRELOAD=' '.join(p for p in preload if 'jemalloc' not in p))
        env.pop('MALLOC_CONF', None)
    env[_REEXEC] = '1'
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)
    return None  # not reached


def import_torch():
    """torch, or a report that PyTorch is not available (python3-torch)."""
    try:
        import torch  # noqa: PLC0415 (after the allocator is in place)
        return torch
    except ImportError as e:
        unavailable('PyTorch not available (%s: %s)' % (sys.executable, e))
        return None


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
