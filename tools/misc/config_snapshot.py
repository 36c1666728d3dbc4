"""Resolve every config under configs/ (not configs/_base_) and save, or compare, the resolved dicts.

A refactor of the config files (shared bases, moved configs) must leave what each config resolves to
unchanged, down to the order of its keys: ``Config.pretty_text`` shows that order and the run cache
(``mmkd.utils.run_cache``) keys its runs by it. Take a snapshot before (of this checkout, or of a copy of
its configs/ at an earlier commit with ``--root``), one after, and compare them:

    python tools/misc/config_snapshot.py dump /tmp/cfg_before.json
    # ... edit configs/ ...
    python tools/misc/config_snapshot.py dump /tmp/cfg_after.json
    python tools/misc/config_snapshot.py compare /tmp/cfg_before.json /tmp/cfg_after.json \\
        --moved configs/overhaul_=configs/overhaul/overhaul_

Each entry is ``Config.fromfile(path).to_dict()`` (``mmdet::``/``mmseg::`` bases resolved by mmengine) and,
for a distiller, its teacher's ``model`` as ``tools/train.py`` loads it (``mmkd.utils.config.load_model_config``,
package paths allowed), so a teacher config that changes shows too. ``compare`` exits 1 on any difference:
a config that resolves to other values, other types (tuple or list) or another key order, fails to load, or
is gone. ``--moved OLD=NEW`` compares every config of the
second snapshot whose path starts with NEW against the first snapshot's config with OLD in its place.
"""
import argparse
import functools
import glob
import json
import os.path as osp
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])  # this checkout's mmkd first
from mmengine.config import Config  # noqa: E402

from mmkd.utils.config import load_model_config  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def config_paths(root: str = ROOT) -> List[str]:
    """Every ``.py`` under ``root/configs`` outside ``_base_`` folders, relative to ``root``, sorted."""
    paths = glob.glob(osp.join(root, 'configs', '**', '*.py'), recursive=True)
    rel = (osp.relpath(p, root) for p in paths)
    return sorted(p for p in rel if '_base_' not in p.split(osp.sep))


def normalise(obj):
    """A JSON-ready copy that keeps what ``Config.pretty_text`` (and so ``mmkd.utils.run_cache``'s run keys)
    shows: the key order, and tuples as ``{'__tuple__': [...]}``; anything JSON cannot hold becomes its
    ``repr``."""
    if isinstance(obj, dict):
        return {str(k): normalise(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return {'__tuple__': [normalise(v) for v in obj]}
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return repr(obj)


def resolve(path: str, root: str = ROOT) -> dict:
    """``{'config': <resolved dict>}``, plus ``'teacher_model'`` for a distiller whose teacher is a config
    path, or ``{'error': <message>}`` when the config does not load."""
    try:
        cfg = Config.fromfile(osp.join(root, path), import_custom_modules=False)
        entry = dict(config=normalise(cfg.to_dict()))
        teacher = cfg.get('model', {}).get('teacher')
        if isinstance(teacher, dict) and isinstance(teacher.get('config'), str):
            config = teacher['config']
            if '::' not in config and not osp.isabs(config):
                config = osp.join(root, config)
            entry['teacher_model'] = normalise(load_model_config(config).to_dict())
        return entry
    except Exception as e:  # noqa: BLE001 - the snapshot records why a config does not load
        return dict(error=f'{type(e).__name__}: {e}')


def read_metafiles_once() -> None:
    """mmengine reads all metafiles of mmdet/mmseg for every ``mmdet::``/``mmseg::`` base it resolves (seconds
    each); remember what they say for the rest of the process."""
    from mmengine.config import utils
    if not hasattr(utils._get_cfg_metainfo, 'cache_info'):
        utils._get_cfg_metainfo = functools.lru_cache(maxsize=None)(utils._get_cfg_metainfo)


def dump(out: str, root: str = ROOT) -> Dict[str, dict]:
    read_metafiles_once()
    snapshot = {path: resolve(path, root) for path in config_paths(root)}
    with open(out, 'w') as f:
        json.dump(snapshot, f)
    return snapshot


def differences(a, b, where: str = '') -> List[str]:
    """The paths (``model.teacher.config``, ``custom_hooks[2]``) at which ``a`` and ``b`` differ, in value or
    in the order of a dict's keys."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            sub = f'{where}.{key}' if where else key
            if key not in a or key not in b:
                out.append(f'{sub} only in the {"second" if key not in a else "first"}')
            else:
                out += differences(a[key], b[key], sub)
        if not out and list(a) != list(b):
            out.append(f'{where or "<root>"}: key order {list(a)} -> {list(b)}')
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f'{where}[{i}]')]
    return [] if a == b else [where or '<root>']


def compare(before: Dict[str, dict], after: Dict[str, dict], moved: Optional[List[str]] = None) -> List[str]:
    """One line per difference; empty if every config of ``before`` resolves the same in ``after``."""
    pairs = [(path, path) for path in before]
    for rule in moved or []:
        old, new = rule.split('=', 1)
        pairs += [(old + path[len(new):], path) for path in after if path.startswith(new)]
    report = []
    for old, new in pairs:
        label = old if old == new else f'{new} (was {old})'
        if old not in before:
            report.append(f'{label}: not in the first snapshot')
        elif new not in after:
            report.append(f'{label}: not in the second snapshot')
        elif 'error' in after[new] and 'error' not in before[old]:
            report.append(f'{label}: does not load any more: {after[new]["error"]}')
        else:
            report += [f'{label}: {d}' for d in differences(before[old], after[new])]
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    d = sub.add_parser('dump', help='resolve every config and write the snapshot (JSON)')
    d.add_argument('out')
    d.add_argument('--root', default=ROOT, help='the checkout whose configs/ to resolve (default: this one)')
    c = sub.add_parser('compare', help='list the configs that resolve differently; exit 1 if any')
    c.add_argument('before')
    c.add_argument('after')
    c.add_argument('--moved', nargs='+', default=[], metavar='OLD=NEW',
                   help='path prefixes of moved configs, e.g. configs/overhaul_=configs/overhaul/overhaul_')
    args = parser.parse_args(argv)
    if args.command == 'dump':
        snapshot = dump(args.out, args.root)
        failed = sorted(p for p, e in snapshot.items() if 'error' in e)
        print(f'{len(snapshot)} configs resolved into {args.out}; {len(failed)} do not load'
              + ''.join(f'\n  {p}: {snapshot[p]["error"]}' for p in failed))
        return 0
    for rule in args.moved:
        if '=' not in rule:
            parser.error(f'--moved takes OLD=NEW path prefixes, got {rule!r}')
    with open(args.before) as f:
        before = json.load(f)
    with open(args.after) as f:
        after = json.load(f)
    report = compare(before, after, args.moved)
    moved = sum(path.startswith(rule.split('=', 1)[1]) for rule in args.moved for path in after)
    print('\n'.join(report) if report else f'all {len(before)} configs resolve the same'
          + (f', and the {moved} moved ones as they did before the move' if args.moved else ''))
    return 1 if report else 0


if __name__ == '__main__':
    sys.exit(main())
