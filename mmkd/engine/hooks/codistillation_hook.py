"""Exchanging the peers' weights of a codistillation run (Anil et al., ICLR 2018)."""
import os
import os.path as osp
from typing import Optional

from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.nn.parallel import DistributedDataParallel

from mmkd.registry import HOOKS
from mmkd.utils.atomic_io import torch_save_atomic


def unwrap(model):
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class CodistillationHook(Hook):
    """Every ``exchange_interval`` iterations from ``model.burn_in`` on, gather every process's weights
    (``all_gather_object`` over the default process group; gloo on CPUs, NCCL on GPUs) and load the other
    processes' weights as the frozen stale peers of ``mmkd.Codistillation``.

    The exchanges happen before the iterations ``burn_in + n * exchange_interval`` (and at once when a
    run starts or resumes past ``burn_in``), so the targets of an iteration come from weights 0 to
    ``exchange_interval - 1`` iterations old. After training every process writes its own peer to
    ``<work_dir>/peers/rank<r>_iter<N>.pth`` (the peer's own model, like a distiller's student-only
    checkpoint): mmengine's ``CheckpointHook`` saves rank 0's model only.

    Args:
        exchange_interval (int): Iterations between exchanges. Defaults to 100.
        save_peers (bool): Write every process's peer after training. Defaults to True.
    """

    priority = 'NORMAL'

    def __init__(self, exchange_interval: int = 100, save_peers: bool = True) -> None:
        if (isinstance(exchange_interval, bool) or not isinstance(exchange_interval, int)
                or exchange_interval < 1):
            raise ValueError('exchange_interval must be a positive int (iterations), got '
                             f'{exchange_interval!r}')
        self.exchange_interval = exchange_interval
        self.save_peers = save_peers

    def before_train(self, runner) -> None:
        if isinstance(runner.model, DistributedDataParallel):
            raise RuntimeError(
                'codistillation trains one peer per process, but the model is wrapped in '
                f'{type(runner.model).__name__}, which all-reduces the gradients (one shared model); set '
                'model_wrapper_cfg = dict(type="mmkd.LocalModelWrapper") in the config')
        model = unwrap(runner.model)
        if not hasattr(model, 'load_stale_peers'):
            raise TypeError('CodistillationHook needs an mmkd.Codistillation model, got '
                            f'{type(model).__name__}')
        if get_world_size() < 2:
            raise RuntimeError('codistillation runs one peer per process: start it with at least two, e.g. '
                               'tools/dist_train.sh CONFIG 2')

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        model = unwrap(runner.model)
        it = runner.iter
        if it < model.burn_in:
            return
        if (it - model.burn_in) % self.exchange_interval == 0 or not model.stale_peers:
            self.exchange(model, it)
            runner.logger.info(f'codistillation: iteration {it}, loaded the weights of peers (ranks) '
                               f'{model.stale_ranks} as stale targets')

    @staticmethod
    def exchange(model, iteration: Optional[int] = None) -> None:
        """Gather every process's ``model.student`` weights and load the others' into ``model``.

        A collective call: every process of the group must make it.
        """
        state = {k: v.detach().cpu().clone() for k, v in model.student.state_dict().items()}
        gathered = all_gather_object(state)
        rank = get_rank()
        ranks = [r for r in range(len(gathered)) if r != rank]
        model.load_stale_peers([gathered[r] for r in ranks], ranks=ranks, iteration=iteration)

    def after_train(self, runner) -> None:
        if not self.save_peers:
            return
        model = unwrap(runner.model)
        out_dir = osp.join(runner.work_dir, 'peers')
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, f'rank{get_rank()}_iter{runner.iter}.pth')
        meta = dict(iter=runner.iter, rank=get_rank(), world_size=get_world_size(),
                    exported_from=f'mmkd codistillation peer of rank {get_rank()}')
        state = {k: v.detach().cpu() for k, v in model.student.state_dict().items()}
        torch_save_atomic(dict(meta=meta, state_dict=state), path)
        runner.logger.info(f'codistillation: peer of rank {get_rank()} written to {path}')
