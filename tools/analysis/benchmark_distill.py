"""Time a distiller's training step against its two parts, on the same batch, in one process.

Three phases on ONE fetched training batch (data loading is excluded):

1. ``student``: the student built alone from ``model.student``, its own ``train_step`` with an
   ``OptimWrapper`` built from the config's ``optim_wrapper``;
2. ``teacher``: the teacher, forward only, in fp32 and whole (``torch.no_grad()``, ``mode='tensor'``,
   backbone + neck + head): a copy of the distiller's teacher with its weights, on the
   student-preprocessed batch renormalised for the teacher, exactly as the distiller feeds it (its
   BatchNorm in the distiller's ``teacher_bn`` mode);
3. ``distill``: ``FeatureDistiller.train_step`` with the config's options (``teacher_precision='auto'``
   chooses the teacher's precision at the first step) and an ``OptimWrapper`` over the distiller's
   parameters (student + connectors; the teacher is not among them).

Each phase runs ``--warmup`` untimed iterations (at least one), then one more alone for its peak memory;
then the ``--iters`` timed iterations of all phases run interleaved (student, teacher, distill, ...
round-robin), so that a change of machine load hits every phase alike. The median and min seconds and
the peak memory are printed, with ``distill / (student + teacher)`` for both.

Examples:
    python tools/analysis/benchmark_distill.py configs/overhaul_ssd_r50_r18_toy.py \
        --teacher-checkpoint none --cfg-options \
        train_dataloader.dataset.datasets.0.data_root=/tmp/toy/VOCdevkit/ \
        train_dataloader.dataset.datasets.1.data_root=/tmp/toy/VOCdevkit/
    python tools/analysis/benchmark_distill.py CONFIG --device cuda --iters 20 --json bench.json
"""
import argparse
import copy
import ctypes
import gc
import json
import os
import os.path as osp
import platform
import statistics
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Dict, List, Optional

import torch
import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.runner.utils import set_random_seed

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmkd import compat  # noqa: E402
from mmkd.models.algorithms.frozen_teacher import set_frozen_teacher_mode  # noqa: E402
from mmkd.registry import MODELS  # noqa: E402
from mmkd.utils.config import load_config, load_model_config  # noqa: E402

MiB = 1024 ** 2
RANDOM_TEACHER = "none (random weights from the teacher's init_weights)"
PHASES = ('student', 'teacher', 'distill')
# --teacher-options: the distiller step again with each teacher execution option (FeatureDistiller args)
TEACHER_OPTIONS = {
    'distill[fp32,full]': dict(teacher_precision='fp32', teacher_channels_last=False, truncate_teacher=False),
    'distill[fp32,trunc]': dict(teacher_precision='fp32', teacher_channels_last=False, truncate_teacher=True),
    'distill[bf16,full]': dict(teacher_precision='bf16', teacher_channels_last=False, truncate_teacher=False),
    'distill[bf16,cl,trunc]': dict(teacher_precision='bf16', teacher_channels_last=True, truncate_teacher=True),
    'distill[bf16-deep,cl,trunc]': dict(teacher_precision='bf16-deep', teacher_channels_last=True,
                                        truncate_teacher=True),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time student train step, teacher forward and distiller train step on one batch.')
    parser.add_argument('config', help='distillation config (model.type a mmkd distiller; mmdet::/mmseg:: paths '
                        'allowed)')
    parser.add_argument('--batch-size', type=int, default=8, help='images per batch (default: 8)')
    parser.add_argument('--iters', type=int, default=5, help='timed iterations per phase (default: 5)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed iterations per phase before the timed ones, at least 1 (default: 2)')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu', help='default: cpu')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads (default: leave torch\'s choice)')
    parser.add_argument('--teacher-checkpoint', default=None,
                        help='override model.teacher.checkpoint; "none" = random teacher weights from '
                        'the teacher\'s init_weights (default: keep the config\'s)')
    parser.add_argument('--seed', type=int, default=0, help='seed for weights and the batch (default: 0)')
    parser.add_argument('--teacher-options', action='store_true',
                        help='also time the distiller step with each teacher option: fp32/bf16 autocast, '
                        'channels_last, truncated forward')
    parser.add_argument('--compile', action='store_true',
                        help="also time the config's distiller step with teacher_compile=True (the first step, "
                        'which compiles, is reported apart)')
    parser.add_argument('--json', metavar='OUT', default=None, help='also write the results to OUT')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, in xxx=yyy format (e.g. '
        'train_dataloader.dataset.datasets.0.data_root=/tmp/toy/VOCdevkit/)')
    args = parser.parse_args(argv)
    for name in ('batch_size', 'iters'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    if args.warmup < 1:
        parser.error(f'--warmup must be >= 1 (the first distiller step chooses the teacher precision), '
                     f'got {args.warmup}')
    if args.threads is not None and args.threads < 1:
        parser.error(f'--threads must be >= 1, got {args.threads}')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda but torch sees no CUDA device; use --device cpu')
    return args


# ----------------------------------------------------------------------------------------- machine
def machine_info(device: str) -> Dict[str, object]:
    """CPU model, visible cores, load average, GPU name, versions and torch threads."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open('/proc/loadavg') as f:
            load = ' '.join(f.read().split()[:3])
    except OSError:
        load = 'n/a'
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    import mmcv
    import mmdet
    import mmengine
    info = dict(cpu=cpu, cores_visible=cores, loadavg_1_5_15=load, python=platform.python_version(),
                torch=torch.__version__, mmengine=mmengine.__version__, mmcv=mmcv.__version__,
                mmdet=mmdet.__version__, torch_threads=torch.get_num_threads(), device=device,
                date=datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))
    if device == 'cuda':
        info['gpu'] = torch.cuda.get_device_name()
        info['cuda'] = torch.version.cuda
    return info


# ------------------------------------------------------------------------------------------ memory
def _read_status_kib(field: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) by writing 5 to /proc/self/clear_refs (Linux >= 4.0)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return False
    return True


def _trim_heap() -> None:
    """Return freed heap pages to the OS so a phase's baseline RSS is not inflated by earlier phases."""
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


class CpuPeakMemory:
    """Peak resident memory of the process during a block, minus the resident memory before it.

    Two readings, the larger is kept: the kernel's VmHWM (reset at the start through
    /proc/self/clear_refs where allowed, so it is an exact per-phase peak) and the maximum VmRSS of
    /proc/self/status sampled every ``interval`` seconds by a background thread (torch kernels release
    the GIL, so the thread samples during compute; it may miss a peak shorter than the interval).
    """

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.hwm_works = _reset_hwm()
        self.method = ('peak VmRSS (kernel VmHWM reset via /proc/self/clear_refs, and a 5 ms sampling '
                       'thread) minus VmRSS before the phase' if self.hwm_works else
                       'peak VmRSS sampled every 5 ms by a thread minus VmRSS before the phase')

    def __enter__(self):
        _trim_heap()
        self.baseline = _read_status_kib('VmRSS') * 1024
        self.sampled = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        if self.hwm_works:
            _reset_hwm()
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            rss = _read_status_kib('VmRSS')
            if rss is not None:
                self.sampled = max(self.sampled, rss * 1024)
            self._stop.wait(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        peak = self.sampled
        if self.hwm_works:
            peak = max(peak, (_read_status_kib('VmHWM') or 0) * 1024)
        self.growth = max(peak - self.baseline, 0)
        return False


class CudaPeakMemory:
    """``torch.cuda.max_memory_allocated`` over a block (reset at its start), and the growth over the
    memory allocated before it (the phase's weights, parked alone on the GPU)."""

    method = ('torch.cuda.max_memory_allocated after reset_peak_memory_stats; only the phase\'s models '
              'are on the GPU, so the peak includes their weights and "growth" is peak minus '
              'memory_allocated before the phase')

    def __enter__(self):
        gc.collect()
        torch.cuda.empty_cache()
        torch.cuda.synchronize()
        self.baseline = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        return self

    def __exit__(self, *exc):
        torch.cuda.synchronize()
        self.peak = torch.cuda.max_memory_allocated()
        self.growth = max(self.peak - self.baseline, 0)
        return False


def tensor_bytes(modules: List[nn.Module]) -> int:
    """Bytes of the parameters and buffers of ``modules`` (shared tensors counted once)."""
    seen, total = set(), 0
    for module in modules:
        for tensor in list(module.parameters()) + list(module.buffers()):
            if tensor.data_ptr() not in seen:
                seen.add(tensor.data_ptr())
                total += tensor.numel() * tensor.element_size()
    return total


# ----------------------------------------------------------------------------------------- config
def load_cfg(args: argparse.Namespace) -> Config:
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = cfg.get('model')
    if model is None or 'student' not in model or 'teacher' not in model:
        raise SystemExit(f'{args.config}: model needs `student` and `teacher` entries (a distiller such '
                         'as mmkd.FeatureDistiller); this script compares a distiller with its parts.')
    if args.teacher_checkpoint is not None:
        ckpt = args.teacher_checkpoint
        cfg.model.teacher.checkpoint = None if ckpt.lower() == 'none' else ckpt
    if cfg.get('optim_wrapper') is None:
        raise SystemExit(f'{args.config}: no `optim_wrapper` in the config; add one or inherit a schedule.')
    return cfg


def fetch_batch(cfg: Config, batch_size: int, seed: int) -> dict:
    """One batch of the config's train dataloader (no workers), fetched once."""
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.batch_size = batch_size
    loader_cfg.num_workers = 0
    loader_cfg.persistent_workers = False
    loader_cfg.pop('prefetch_factor', None)
    try:
        loader = Runner.build_dataloader(loader_cfg, seed=seed)
        return next(iter(loader))
    except FileNotFoundError as err:
        raise SystemExit(f'train data not found ({err}). Point the config at your data with '
                         '--cfg-options, e.g. train_dataloader.dataset.datasets.0.data_root=DIR/VOCdevkit/ '
                         'train_dataloader.dataset.datasets.1.data_root=DIR/VOCdevkit/ (toy data: '
                         'python tools/misc/make_toy_data.py --out DIR).') from err


# ------------------------------------------------------------------------------------------ timing
def sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


class Phase:
    """One phase: ``step`` (timed), ``prepare`` (untimed, before each step) and the models it runs."""

    def __init__(self, name: str, step: Callable[[], None], prepare: Callable[[], None], models: List[nn.Module]):
        self.name, self.step, self.prepare, self.models = name, step, prepare, models

    def run(self, device: str) -> float:
        self.prepare()
        sync(device)
        start = time.perf_counter()
        self.step()
        sync(device)
        return time.perf_counter() - start


def run_phases(phases: List[Phase], args, meter_cls, on_device: Callable[[List[nn.Module]], None]) -> dict:
    """Per phase: ``warmup`` untimed iterations and one more inside ``meter_cls()`` for the peak memory;
    then ``iters`` rounds that time one iteration of every phase in turn (interleaved)."""
    results = {}
    for phase in phases:
        on_device(phase.models)
        first = phase.run(args.device)
        for _ in range(args.warmup - 1):
            phase.run(args.device)
        meter = meter_cls()
        with meter:
            phase.run(args.device)
        results[phase.name] = dict(times_s=[], first_s=first, mem_growth_bytes=meter.growth,
                                   mem_baseline_bytes=meter.baseline)
        print(f'  {phase.name} warm, peak memory measured', flush=True)
    on_device([m for phase in phases for m in phase.models])
    for _ in range(args.iters):
        for phase in phases:
            results[phase.name]['times_s'].append(phase.run(args.device))
    for phase in phases:
        times = results[phase.name]['times_s']
        results[phase.name].update(median_s=statistics.median(times), min_s=min(times))
        print(f'  {phase.name} median {results[phase.name]["median_s"]:.3f} s', flush=True)
    return results


def fp32_teacher_copy(cfg: Config, distiller: nn.Module) -> nn.Module:
    """A separate teacher with the distiller's teacher weights, in the distiller's BN mode, without its
    recording hooks and memory format: the fp32 whole-forward baseline."""
    teacher_cfg = cfg.model.teacher
    teacher = MODELS.build(load_model_config(teacher_cfg.config, teacher_cfg.get('cfg_options')))
    teacher.load_state_dict(distiller.teacher.state_dict())
    teacher.requires_grad_(False)
    return set_frozen_teacher_mode(teacher, distiller.teacher_bn)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    # warnings only: keeps mmengine's per-parameter init_weights report out of the output
    MMLogger.get_instance('benchmark_distill', log_level='WARNING')
    compat.apply()
    cfg = load_cfg(args)
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    set_random_seed(args.seed)
    device = torch.device(args.device)
    info = machine_info(args.device)

    batch = fetch_batch(cfg, args.batch_size, args.seed)
    set_random_seed(args.seed)
    distiller = MODELS.build(copy.deepcopy(cfg.model))
    distiller.init_weights()
    if cfg.model.teacher.checkpoint is None:
        # the network's own initialisation: teacher_precision='auto' measures the teacher's features, and
        # batch-statistics BN amplifies rounding errors chaotically in PyTorch's default-initialised nets
        distiller.teacher.init_weights()
        distiller.load_teacher_state(distiller.teacher.state_dict())  # margins from the initialised BN
    student = MODELS.build(copy.deepcopy(cfg.model.student))
    student.init_weights()
    teacher = fp32_teacher_copy(cfg, distiller)
    weights = dict(student=tensor_bytes([student]), teacher=tensor_bytes([teacher]),
                   distill=tensor_bytes([distiller, distiller.teacher]))

    meter_cls = CudaPeakMemory if args.device == 'cuda' else CpuPeakMemory
    method = meter_cls().method if args.device == 'cpu' else meter_cls.method
    header = [
        f'config          : {args.config}',
        f'teacher ckpt    : {cfg.model.teacher.checkpoint or RANDOM_TEACHER} '
        f'(teacher_bn={getattr(distiller, "teacher_bn", "?")})',
        f'batch           : {args.batch_size} images, fetched once and reused by every phase '
        '(data loading excluded; a fresh deep copy per iteration, untimed)',
        f'iterations      : {args.warmup} warm-up + 1 for memory per phase, then {args.iters} timed per phase, '
        'interleaved',
        f'machine         : {info["cpu"]}, {info["cores_visible"]} visible cores, load avg '
        f'{info["loadavg_1_5_15"]}' + (f'; GPU {info["gpu"]} (CUDA {info["cuda"]})'
                                        if args.device == 'cuda' else ''),
        f'software        : python {info["python"]}, torch {info["torch"]} ({info["torch_threads"]} '
        f'threads), mmengine {info["mmengine"]}, mmcv {info["mmcv"]}, mmdet {info["mmdet"]}',
        f'device / date   : {args.device} / {info["date"]}',
        f'memory          : {method}',
    ]
    print('\n'.join(header), flush=True)

    def on_device(active: List[nn.Module]) -> None:
        """On CUDA, only ``active`` on the GPU (so a phase's peak is its own); CPU: nothing to do."""
        if args.device != 'cuda':
            return
        for module in all_models:
            module.to('cpu')
        for module in active:
            module.to(device)
        gc.collect()
        torch.cuda.empty_cache()

    step_input = {}

    def fresh_batch():
        step_input['data'] = copy.deepcopy(batch)

    def train_step_phase(label: str, model: nn.Module) -> Phase:
        """``model.train_step`` with a fresh optim wrapper from the config."""
        model.to(device)
        model.train()
        optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
        return Phase(label, lambda: model.train_step(step_input['data'], optim), fresh_batch, [model])

    # the teacher forward alone, on the batch as the distiller hands it to the teacher
    distiller.to(device)
    distiller.train()
    with torch.no_grad():
        teacher_x = distiller.teacher_inputs(distiller.data_preprocessor(copy.deepcopy(batch), True)['inputs'])
    teacher.to(device)

    def teacher_step():
        with torch.no_grad():
            teacher(teacher_x, None, mode='tensor')

    distillers = {'distill': distiller}
    variants = dict(TEACHER_OPTIONS) if args.teacher_options else {}
    if args.compile:
        variants['distill[compiled]'] = dict(teacher_compile=True, truncate_teacher=None)
    if variants:
        for label, options in variants.items():
            set_random_seed(args.seed)
            variant = MODELS.build(dict(copy.deepcopy(cfg.model), **options))
            variant.init_weights()
            variant.load_teacher_state(distiller.teacher.state_dict())
            weights[label] = tensor_bytes([variant, variant.teacher])
            distillers[label] = variant
    all_models = [student, teacher] + list(distillers.values())
    phases = [train_step_phase('student', student), Phase('teacher', teacher_step, lambda: None, [teacher])]
    phases += [train_step_phase(label, model) for label, model in distillers.items()]
    results = run_phases(phases, args, meter_cls, on_device)
    executions = {label: model.teacher_execution for label, model in distillers.items()}

    for name in results:
        results[name]['weights_bytes'] = weights[name]
        if args.device == 'cuda':
            results[name]['mem_peak_bytes'] = results[name]['mem_growth_bytes'] + results[name]['mem_baseline_bytes']
        else:
            results[name]['mem_peak_bytes'] = results[name]['mem_growth_bytes'] + weights[name]

    def ratio(key: str, phase: str = 'distill') -> float:
        return results[phase][key] / max(results['student'][key] + results['teacher'][key], 1e-12)

    def round_ratio(phase: str = 'distill') -> float:
        """Median over rounds of the round's distill / (student + teacher): each ratio compares iterations
        run one after another, under the same load."""
        return statistics.median(d / max(s + t, 1e-12) for d, s, t in zip(
            results[phase]['times_s'], results['student']['times_s'], results['teacher']['times_s']))

    ratios = dict(time_median=ratio('median_s'), time_min=ratio('min_s'), time_rounds=round_ratio(),
                  memory_peak=ratio('mem_peak_bytes'), memory_growth=ratio('mem_growth_bytes'))
    for label in results:
        if label.startswith('distill['):
            ratios[label] = dict(time_median=ratio('median_s', label), time_rounds=round_ratio(label),
                                 memory_peak=ratio('mem_peak_bytes', label))

    peak_label = 'peak MiB' if args.device == 'cuda' else 'growth+weights MiB'
    print()
    print(f'{"phase":28s}{"median s":>10s}{"min s":>10s}{"growth MiB":>12s}{"weights MiB":>13s}'
          f'{peak_label:>20s}')
    for name in results:
        r = results[name]
        print(f'{name:28s}{r["median_s"]:10.3f}{r["min_s"]:10.3f}{r["mem_growth_bytes"] / MiB:12.1f}'
              f'{r["weights_bytes"] / MiB:13.1f}{r["mem_peak_bytes"] / MiB:20.1f}')
    print()
    for label, execution in executions.items():
        print(f'{label:28s} teacher: {execution["precision"]}, channels_last={execution["channels_last"]}, '
              f'truncated={execution["truncated"]}, compiled={execution["compiled"]}, first step '
              f'{results[label]["first_s"]:.1f} s')
    print(f'time   distill / (student + teacher fp32 full): median {ratios["time_median"]:.3f}, '
          f'min {ratios["time_min"]:.3f}, median of the rounds\' ratios {ratios["time_rounds"]:.3f}')
    print(f'memory distill / (student + teacher): {peak_label} {ratios["memory_peak"]:.3f}, '
          f'growth {ratios["memory_growth"]:.3f}')
    for label in results:
        if label.startswith('distill['):
            print(f'{label:28s} / (student + teacher fp32 full): time {ratios[label]["time_median"]:.3f} '
                  f'(rounds {ratios[label]["time_rounds"]:.3f}), memory {ratios[label]["memory_peak"]:.3f}')
    if args.device == 'cpu':
        print('(CPU: "growth" = peak RSS over the RSS before the phase (activations, gradients, optimizer '
              'state, allocator slack); "weights" = parameter and buffer bytes of the phase\'s models, '
              'already resident before the phase.)')

    if args.json:
        out = dict(config=args.config, args=vars(args), machine=info, memory_method=method,
                   teacher_checkpoint=cfg.model.teacher.checkpoint, phases=results, ratios=ratios,
                   teacher_execution=executions)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=2)
        print(f'results written to {args.json}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
