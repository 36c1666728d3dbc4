"""Masked generative distillation (Yang et al., "Masked Generative Distillation", ECCV 2022)."""
import torch
from torch import nn

from mmkd.registry import MODELS


@MODELS.register_module()
class MGDLoss(nn.Module):
    """MGD: ``alpha * sum((G(M * align(s)) - t)^2) / N`` (Yang et al., ECCV 2022, Eq. 2-4).

    The student feature is aligned to the teacher's channels by a 1x1 convolution (with bias; identity
    when the channel counts match), masked by a random spatial mask ``M`` (one (H, W) mask per sample,
    shared by all channels; each location kept with probability ``1 - lambda_mgd``), and a generator
    ``G = conv3x3 -> ReLU -> conv3x3`` (teacher channels) must regenerate the full teacher feature from
    it. The sum runs over all elements and is divided by the batch size N. The mask is drawn from
    torch's RNG (``torch.manual_seed`` makes it reproducible). The align and generator layers are trained
    with the student and are used only for the loss.

    The loss owns layers sized by the channel counts, which the distiller does not infer (it fills only
    connectors): give both. Use ``mmkd.IdentityConnector`` (the default) in the point, or a resizing
    connector when the spatial sizes differ.

    Args:
        student_channels (int): Channels of the student feature.
        teacher_channels (int): Channels of the teacher feature.
        alpha_mgd (float): Loss weight ``alpha``. Defaults to 2e-5 (the paper's detection setting).
        lambda_mgd (float): Masked ratio ``lambda`` in [0, 1). Defaults to 0.65.
    """

    def __init__(self, student_channels: int, teacher_channels: int, alpha_mgd: float = 2e-5,
                 lambda_mgd: float = 0.65) -> None:
        super().__init__()
        for name, value in (('student_channels', student_channels), ('teacher_channels', teacher_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f'{name} must be a positive int (the channels of the {name.split("_")[0]} '
                                 f'feature), got {value!r}')
        if not 0 <= lambda_mgd < 1:
            raise ValueError(f'lambda_mgd is the masked ratio and must be in [0, 1), got {lambda_mgd}')
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.alpha_mgd = alpha_mgd
        self.lambda_mgd = lambda_mgd
        self.align = (nn.Conv2d(student_channels, teacher_channels, 1)
                      if student_channels != teacher_channels else None)
        self.generation = nn.Sequential(
            nn.Conv2d(teacher_channels, teacher_channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(teacher_channels, teacher_channels, 3, padding=1))

    def random_mask(self, n: int, h: int, w: int, like: torch.Tensor) -> torch.Tensor:
        """(n, 1, h, w) mask of 1 (kept, probability ``1 - lambda_mgd``) and 0, from torch's RNG."""
        keep = torch.rand(n, 1, h, w, device=like.device) >= self.lambda_mgd
        return keep.to(like.dtype)

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Args:
            student (Tensor): Student feature, (N, student_channels, H, W).
            teacher (Tensor): Teacher feature, (N, teacher_channels, H, W) (detached here).

        Returns:
            Tensor: Scalar loss, in the dtype of the loss's layers (float32 unless converted).
        """
        if student.dim() != 4 or teacher.dim() != 4:
            raise ValueError(f'MGD needs (N, C, H, W) feature maps, got student {tuple(student.shape)} and '
                             f'teacher {tuple(teacher.shape)}')
        if student.shape[1] != self.student_channels or teacher.shape[1] != self.teacher_channels:
            raise ValueError(f'MGDLoss(student_channels={self.student_channels}, teacher_channels='
                             f'{self.teacher_channels}) got a student feature with {student.shape[1]} and a '
                             f'teacher feature with {teacher.shape[1]} channels; set student_channels='
                             f'{student.shape[1]}, teacher_channels={teacher.shape[1]}')
        if student.shape[0] != teacher.shape[0] or student.shape[2:] != teacher.shape[2:]:
            raise ValueError(f'student feature {tuple(student.shape)} and teacher feature {tuple(teacher.shape)} '
                             "differ in batch or spatial size; resize the student with a connector (e.g. "
                             "mmkd.ConvConnector with resize='bilinear')")
        dtype = self.generation[0].weight.dtype
        s, t = student.to(dtype), teacher.detach().to(dtype)
        if self.align is not None:
            s = self.align(s)
        n, _, h, w = t.shape
        generated = self.generation(s * self.random_mask(n, h, w, s))
        return self.alpha_mgd * (generated - t).pow(2).sum() / n

    def extra_repr(self) -> str:
        return f'alpha_mgd={self.alpha_mgd}, lambda_mgd={self.lambda_mgd}'
