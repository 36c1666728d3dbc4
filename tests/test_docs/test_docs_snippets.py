"""Every ```python block of README.md and docs/*.md runs as written.

Blocks run in a temporary folder laid out like the repository root (``configs/`` linked, a small
``data/toy`` generated, the folder on ``sys.path`` as ``PYTHONPATH=.`` would put it), in file order, with
one namespace per markdown file. An HTML comment on the line before a block says how to run it:

* none: the block is executed as Python;
* ``<!-- snippet: file NAME.py -->``: the block is written to ``NAME.py``, for later blocks to import
  (a config's ``custom_imports``); imported at the end if none did;
* ``<!-- snippet: config [BASE] [build] [KEY=VALUE ...] -->``: the block is a config fragment, written to
  ``configs/snippets/`` (so ``_base_ = ['../x.py']`` reaches ``configs/x.py``) with ``_base_ = [BASE]``
  put first unless it sets its own ``_base_``, and read with ``Config.fromfile``; ``build`` also builds
  its ``model`` after merging the ``KEY=VALUE`` options (e.g. ``model.teacher.checkpoint=None``);
* ``<!-- snippet: skip (REASON) -->``: not run; the reason is required.

Bash blocks are not executed.

Two checks keep the docs fit for users: no text file under ``docs/``, ``configs/``, ``mmkd/``, ``tools/``
or ``README.md`` refers to internal issue or session numbers (say what was measured and how, not when or
for which task), and every relative link of the markdown pages, and every ``docs/NAME.md`` named in those
files, points at a file that exists.
"""
import ast
import glob
import importlib
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
import textwrap
from typing import List, NamedTuple, Optional

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO

FENCE = re.compile(r'^(\s*)```python\s*$')
MARKER = re.compile(r'^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$')
MARKDOWN = [osp.join(REPO, 'README.md')] + sorted(glob.glob(osp.join(REPO, 'docs', '*.md')))


class Snippet(NamedTuple):
    path: str
    line: int  # 1-based line of the opening fence
    code: str
    marker: Optional[str]

    @property
    def where(self) -> str:
        return f'{osp.relpath(self.path, REPO)}:{self.line}'


def extract(path: str) -> List[Snippet]:
    """The ```python blocks of a markdown file, dedented, with the snippet marker just above each."""
    lines = open(path, encoding='utf-8').read().splitlines()
    snippets = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != '```':
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f'{path}:{start + 1}: the ```python block is never closed')
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        marker = MARKER.match(lines[prev]) if prev >= 0 else None
        snippets.append(Snippet(path, start + 1, textwrap.dedent('\n'.join(body)) + '\n',
                                marker.group(1) if marker else None))
        i += 1
    return snippets


def literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder with the repository's config folders linked into ``configs/`` and a tiny ``data/toy``."""
    root = tmp_path_factory.mktemp('docs_snippets')
    os.makedirs(root / 'configs' / 'snippets')
    for entry in os.listdir(osp.join(REPO, 'configs')):
        os.symlink(osp.join(REPO, 'configs', entry), root / 'configs' / entry)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    subprocess.run([sys.executable, osp.join(REPO, 'tools', 'misc', 'make_toy_data.py'), '--out', 'data/toy',
                    '--voc07-trainval', '2', '--voc07-test', '2', '--voc12-trainval', '2', '--seg-train', '2',
                    '--seg-val', '2', '--cifar-train', '10', '--cifar-test', '10',
                    '--formats', 'voc,cifar,coco,cityscapes', '--coco-train', '2', '--coco-val', '2',
                    '--cityscapes-train', '2', '--cityscapes-val', '2'],
                   cwd=str(root), env=env, check=True, capture_output=True)
    return root


@pytest.fixture
def in_workspace(workspace, monkeypatch):
    """cwd and ``sys.path`` as for ``PYTHONPATH=. python ...`` in the workspace; modules and registry
    entries the snippets add are removed afterwards."""
    from mmkd.registry import MODELS
    monkeypatch.chdir(workspace)
    monkeypatch.syspath_prepend(str(workspace))
    modules = set(sys.modules)
    yield workspace
    added = {name for name in set(sys.modules) - modules
             if osp.dirname(getattr(sys.modules[name], '__file__', None) or '/') == str(workspace)}
    for name in added:
        del sys.modules[name]
    for key, cls in list(MODELS._module_dict.items()):
        if cls.__module__ in added:
            del MODELS._module_dict[key]


def run_config(snippet: Snippet, args: List[str], root) -> None:
    build = 'build' in args
    options = dict(arg.split('=', 1) for arg in args if '=' in arg)
    bases = [a for a in args if a != 'build' and '=' not in a]
    code = snippet.code
    if bases:
        if re.search(r'^_base_\s*=', code, re.M):
            raise ValueError(f'{snippet.where}: the block sets _base_ and the marker names {bases}; keep one')
        code = f'_base_ = {[str(root / b) for b in bases]!r}\n' + code
    name = re.sub(r'\W', '_', snippet.where) + '.py'
    path = root / 'configs' / 'snippets' / name
    path.write_text(code)
    cfg = Config.fromfile(str(path))
    if build:
        from mmkd.registry import MODELS
        cfg.merge_from_dict({k: literal(v) for k, v in options.items()})
        init_default_scope(cfg.get('default_scope') or 'mmkd')
        MODELS.build(cfg.model)


def run(snippet: Snippet, namespace: dict, root) -> None:
    words = shlex.split(snippet.marker) if snippet.marker else []
    kind = words[0] if words else 'python'
    if kind == 'python':
        exec(compile(snippet.code, snippet.where, 'exec'), namespace)
    elif kind == 'file':
        if len(words) != 2 or not words[1].endswith('.py'):
            raise ValueError(f'{snippet.where}: write the marker as <!-- snippet: file NAME.py -->')
        (root / words[1]).write_text(snippet.code)
        importlib.invalidate_caches()
        namespace.setdefault('__modules__', []).append(words[1][:-3])
    elif kind == 'config':
        run_config(snippet, words[1:], root)
    else:
        raise ValueError(f'{snippet.where}: unknown snippet marker {snippet.marker!r}; use file NAME.py, '
                         'config [BASE] [build] [KEY=VALUE ...] or skip (REASON)')


def is_skip(snippet: Snippet) -> bool:
    if not (snippet.marker or '').startswith('skip'):
        return False
    if not re.fullmatch(r'skip \(.+\)', snippet.marker):
        raise ValueError(f'{snippet.where}: give the reason, <!-- snippet: skip (needs ...) -->')
    return True


@pytest.mark.parametrize('path', MARKDOWN, ids=lambda p: osp.relpath(p, REPO))
def test_python_snippets_run(path, in_workspace):
    namespace = {'__name__': '__docs__'}
    for snippet in extract(path):
        if is_skip(snippet):
            continue
        init_default_scope('mmkd')
        try:
            run(snippet, namespace, in_workspace)
        except Exception as err:
            raise AssertionError(f'the snippet at {snippet.where} fails: {type(err).__name__}: {err}\n'
                                 f'{snippet.code}') from err
    for module in namespace.get('__modules__', []):
        importlib.import_module(module)


def test_extract_markers_and_dedent(tmp_path):
    doc = tmp_path / 'doc.md'
    doc.write_text('text\n\n<!-- snippet: skip (needs a GPU) -->\n\n```python\nx = 1\n```\n\n'
                   '- item\n\n  ```python\n  y = 2\n  ```\n\n```bash\nls\n```\n')
    first, second = extract(str(doc))
    assert (first.line, first.code, first.marker) == (5, 'x = 1\n', 'skip (needs a GPU)')
    assert (second.line, second.code, second.marker) == (11, 'y = 2\n', None)
    assert is_skip(first) and not is_skip(second)
    with pytest.raises(ValueError, match='give the reason'):
        is_skip(first._replace(marker='skip'))


def test_every_markdown_file_is_collected():
    assert osp.join(REPO, 'docs', 'distiller.md') in MARKDOWN and len(MARKDOWN) > 5
    assert any(extract(p) for p in MARKDOWN)


def test_config_marker_loads_and_builds(in_workspace):
    good = Snippet('doc.md', 1, 'model = dict(head=dict(num_classes=7))\n',
                   'config configs/cls/cls_r18_toy.py build')
    run(good, {}, in_workspace)
    bad = good._replace(code="model = dict(_delete_=True, type='mmkd.NoSuchModel')\n")
    with pytest.raises(KeyError, match='NoSuchModel'):
        run(bad, {}, in_workspace)
    run(bad._replace(marker='config configs/cls/cls_r18_toy.py'), {}, in_workspace)  # read, not built
    with pytest.raises(ValueError, match='unknown snippet marker'):
        run(good._replace(marker='run me'), {}, in_workspace)


# internal bookkeeping that user-facing text must not carry: "issue 4", "issue-4", "(issue", "issue 4's",
# "session 7", "sessions 6 and 7", "this session's"
HISTORY = re.compile(r"\bissues?[- ]?#?[0-9]|\(issues?\b|\bissue's|\bsessions?[- ]?#?[0-9]|\bsession's", re.I)
USER_TEXT = ['docs', 'configs', 'mmkd', 'tools', 'README.md']
LINK = re.compile(r'\[[^\]]*\]\(([^()\s]+)\)')
DOC_NAME = re.compile(r'(?<![\w/.-])docs/[\w.-]+\.md\b')


def user_text_files() -> List[str]:
    """The text files (UTF-8, no NUL byte) under USER_TEXT, without caches and hidden folders."""
    found = []
    for entry in USER_TEXT:
        top = osp.join(REPO, entry)
        if osp.isfile(top):
            candidates = [top]
        else:
            candidates = []
            for folder, dirs, files in os.walk(top):
                dirs[:] = sorted(d for d in dirs if d != '__pycache__' and not d.startswith('.'))
                candidates += [osp.join(folder, f) for f in sorted(files)]
        for path in candidates:
            with open(path, 'rb') as f:
                data = f.read()
            try:
                data.decode('utf-8')
            except UnicodeDecodeError:
                continue
            if b'\0' not in data:
                found.append(path)
    return found


def test_history_pattern():
    for text in ('as in issue 4', 'issue-4 table', 'a target (issue 7)', "issue 7's target", 'Session 5 probes',
                 'sessions 6 and 7', "this session's machine"):
        assert HISTORY.search(text), text
    for text in ('tissue 3', 'an issue with the loss', 'the session ends', 'Issues are welcome'):
        assert not HISTORY.search(text), text


def test_no_internal_issue_or_session_references():
    files = user_text_files()
    assert osp.join(REPO, 'docs', 'results.md') in files and osp.join(REPO, 'tools', 'train.py') in files
    hits = []
    for path in files:
        for number, line in enumerate(open(path, encoding='utf-8').read().splitlines(), 1):
            if HISTORY.search(line):
                hits.append(f'{osp.relpath(path, REPO)}:{number}: {line.strip()}')
    assert not hits, ('user-facing text refers to internal issues or sessions; state the fact, the data and '
                      'the command instead:\n' + '\n'.join(hits))


def test_links_and_doc_names_resolve():
    missing = []
    for path in MARKDOWN:
        text = open(path, encoding='utf-8').read()
        for target in LINK.findall(text):
            if re.match(r'[a-z][a-z0-9+.-]*:', target, re.I) or target.startswith('#'):
                continue  # a URL (http:, mailto:) or an anchor of the same page
            resolved = osp.normpath(osp.join(osp.dirname(path), target.split('#')[0]))
            if not osp.exists(resolved):
                missing.append(f'{osp.relpath(path, REPO)}: link ({target})')
    for path in user_text_files():
        for name in sorted(set(DOC_NAME.findall(open(path, encoding='utf-8').read()))):
            if not osp.isfile(osp.join(REPO, name)):
                missing.append(f'{osp.relpath(path, REPO)}: {name}')
    assert not missing, 'links to files that do not exist:\n' + '\n'.join(missing)


def test_link_patterns():
    assert LINK.findall('see [toy data](toy_data.md#make-it) and [x](https://a.b/c)') == [
        'toy_data.md#make-it', 'https://a.b/c']
    assert DOC_NAME.findall('(`docs/results.md`, docs/toy_data.md; not mydocs/x.md or a/docs/y.md)') == [
        'docs/results.md', 'docs/toy_data.md']
