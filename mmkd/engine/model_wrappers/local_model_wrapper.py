"""A model wrapper for distributed runs whose processes train separate models (codistillation)."""
import torch.nn as nn

from mmkd.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class LocalModelWrapper(nn.Module):
    """Wrap a model without synchronising anything across processes.

    ``MMDistributedDataParallel`` (mmengine's default for ``--launcher pytorch``) broadcasts rank 0's
    weights and all-reduces the gradients, so every process trains one shared model. Under this wrapper
    each process keeps its own model: ``train_step``/``val_step``/``test_step`` are the model's own, no
    gradient is all-reduced and no buffer is broadcast. Being registered in ``MODEL_WRAPPERS``, mmengine
    treats it as a wrapper (``runner.model.module`` is the model, checkpoints hold the model's keys).

    Select it with ``model_wrapper_cfg = dict(type='mmkd.LocalModelWrapper')``. Note that mmengine still
    broadcasts rank 0's weights once after ``init_weights`` (``Runner._init_model_weights``), so every
    process starts from the same weights.

    Args:
        module (nn.Module): The model (an mmengine ``BaseModel``).
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def train_step(self, data, optim_wrapper):
        """The model's own ``train_step`` (no gradient synchronisation)."""
        return self.module.train_step(data, optim_wrapper)

    def val_step(self, data):
        """The model's own ``val_step``."""
        return self.module.val_step(data)

    def test_step(self, data):
        """The model's own ``test_step``."""
        return self.module.test_step(data)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)
