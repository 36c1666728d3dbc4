"""A connector that runs the student feature through modules of the frozen teacher: the cross-head
predictions of CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for Object Detection",
CVPR 2024)."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from mmkd.registry import MODELS
from mmkd.utils.modules import get_module

_ACTS = (None, 'relu')


def align_channel_statistics(x: torch.Tensor, reference: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``x`` standardised per channel over (N, H, W) and given ``reference``'s per-channel mean and std:
    ``(x_c - mean(x_c)) / (std(x_c) + eps) * std(r_c) + mean(r_c)`` (unbiased std), as the CrossKD authors'
    code aligns the student's head feature with the teacher's before the teacher's head reads it."""
    if x.dim() != 4 or reference.dim() != 4 or x.shape[1] != reference.shape[1]:
        raise ValueError(f'aligning needs (N, C, H, W) features with the same channels, got {tuple(x.shape)} '
                         f'(student) and {tuple(reference.shape)} (teacher reference)')
    dims = (0, 2, 3)
    reference = reference.detach().to(x.dtype)
    standard = (x - x.mean(dims, keepdim=True)) / (x.std(dims, keepdim=True) + eps)
    return standard * reference.std(dims, keepdim=True) + reference.mean(dims, keepdim=True)


@MODELS.register_module()
class TeacherModuleConnector(nn.Module):
    """Run the student feature through modules of the frozen teacher: ``y = M_k(...M_1(act(align(x))))``.

    CrossKD (Wang et al., CVPR 2024) feeds the student's i-th head feature ``f_s^i`` to the teacher's head
    layers after i, ``p_hat_s = C_t^{i+1..n}(f_s^i)``, and distils these cross-head predictions to the
    teacher's own ``p_t``: the student's head learns from the teacher only through its shared layers, while
    its own predictions answer to the ground truth alone. Any point can use it to ask "run this recorded
    student feature through teacher module(s) X".

    The distiller binds the connector to its teacher when it is built (:meth:`bind_teacher`): the named
    modules are looked up there and called as they are -- frozen (``requires_grad=False``, never in the
    distiller's ``parameters()`` or ``state_dict()``, in the teacher's train/eval and BN mode) -- while the
    gradient flows through them to the student feature. Hooks and truncation of the teacher are inactive
    outside the teacher's own forward, so a recorder on the same module records nothing here.

    Args:
        modules (str | Sequence[str]): names of teacher modules, applied in order (e.g.
            ``['bbox_head.cls_convs.3', 'bbox_head.retina_cls']``); each takes and returns one tensor.
        act (str, optional): ``'relu'``: applied before the first module, for a student feature recorded before
            its activation (the activation that the teacher's layer i would apply). Defaults to None.
        align_to (str | dict, optional): a teacher position (module name, or recorder kwargs such as
            ``dict(source=..., call=2)``). When given, the distiller records the teacher there and hands it to
            the connector as ``reference``: each channel of the student feature is standardised over
            (N, H, W) and given the teacher's mean and std there (:func:`align_channel_statistics`), as the
            authors' code does, so the teacher's layers read a feature on their own scale. Defaults to None.
    """

    def __init__(self, modules: Union[str, Sequence[str]], act: Optional[str] = None,
                 align_to: Optional[Union[str, dict]] = None) -> None:
        super().__init__()
        names = [modules] if isinstance(modules, str) else list(modules or [])
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f'modules must name one or more teacher modules, got {modules!r}')
        if act not in _ACTS:
            raise ValueError(f'act must be one of {_ACTS}, got {act!r}')
        if align_to is not None and not isinstance(align_to, (str, dict)):
            raise ValueError(f'align_to must be a teacher position (a module name or recorder kwargs), got '
                             f'{align_to!r}')
        self.module_names = names
        self.act = act
        self.align_to = align_to
        # plain list: the teacher's modules stay out of this module's parameters() and state_dict()
        self._teacher_modules: List[nn.Module] = []

    @property
    def uses_reference(self) -> bool:
        """Whether :meth:`forward` needs the teacher feature at ``align_to`` as ``reference``."""
        return self.align_to is not None

    def bind_teacher(self, teacher: nn.Module) -> None:
        """Look the named modules up in ``teacher`` (a ``ValueError`` lists the closest names)."""
        self._teacher_modules = [get_module(teacher, name, 'teacher') for name in self.module_names]

    @property
    def teacher_modules(self) -> List[nn.Module]:
        if not self._teacher_modules:
            raise RuntimeError('TeacherModuleConnector is not bound to a teacher: mmkd.FeatureDistiller binds '
                               'it when it is built; called directly, call bind_teacher(teacher) first')
        return self._teacher_modules

    def forward(self, x: torch.Tensor, target_size: Optional[Sequence[int]] = None,
                reference: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            x (Tensor): the student feature, with the channels the first teacher module takes.
            target_size (Sequence[int], optional): the teacher feature's (H, W), which the output must have.
            reference (Tensor, optional): the teacher feature at ``align_to``.

        Returns:
            Tensor: the teacher modules' output on the student feature.
        """
        modules = self.teacher_modules
        if self.align_to is not None:
            if reference is None:
                raise ValueError(f'TeacherModuleConnector(align_to={self.align_to!r}) needs the teacher feature '
                                 'there as reference=; mmkd.FeatureDistiller records and passes it')
            x = align_channel_statistics(x, reference)
        if self.act == 'relu':
            x = F.relu(x)
        for module in modules:
            x = module(x)
        if target_size is not None and x.dim() == 4 and tuple(x.shape[-2:]) != tuple(int(v) for v in target_size):
            raise ValueError(f'the teacher modules {self.module_names} turn the student feature into '
                             f'{tuple(x.shape[-2:])} maps, but the teacher feature is {tuple(target_size)}: '
                             'pair the student position with the teacher position of the same level')
        return x

    def extra_repr(self) -> str:
        return f'modules={self.module_names}, act={self.act!r}, align_to={self.align_to!r}'
