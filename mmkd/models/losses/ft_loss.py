"""Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
NeurIPS 2018)."""
import torch
import torch.nn.functional as F
from torch import nn

from mmkd.registry import MODELS
from ..connectors.ft_translator import conv_bn_lrelu
from .base import DistillLoss, reduce_loss

PARAPHRASER_STAGE = 'paraphras'
_RECON_LOSSES = ('mse', 'l1')


class Paraphraser(nn.Module):
    """FT's paraphraser: a convolutional auto-encoder of the teacher feature (Kim et al., NeurIPS 2018).

    Encoder: three conv3x3-BN-LeakyReLU(0.1) layers ``C -> C -> k -> k``; its output is the teacher factor.
    Decoder, mirrored with 3x3 transposed convolutions (stride 1, so the spatial size is kept):
    ``k -> k -> C`` with BN-LeakyReLU, then ``C -> C`` with a bias and no BN/activation, so the
    reconstruction can take any sign (e.g. a pre-ReLU teacher feature). (The authors' release,
    github.com/Jangho-Kim/Factor-Transfer-pytorch, uses the same widths without BN and a LeakyReLU on
    every layer.)

    Args:
        in_channels (int): Teacher channels C.
        factor_channels (int): Factor channels k.
    """

    def __init__(self, in_channels: int, factor_channels: int) -> None:
        super().__init__()
        c, k = in_channels, factor_channels
        self.encoder = nn.Sequential(conv_bn_lrelu(c, c), conv_bn_lrelu(c, k), conv_bn_lrelu(k, k))
        self.decoder = nn.Sequential(conv_bn_lrelu(k, k, transposed=True), conv_bn_lrelu(k, c, transposed=True),
                                     nn.ConvTranspose2d(c, c, 3, stride=1, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct ``x`` through the factor."""
        return self.decoder(self.encoder(x))


@MODELS.register_module()
class FTLoss(DistillLoss):
    """Factor transfer; the loss owns the paraphraser and trains it in its own stage.

    - Paraphraser stage (:meth:`set_stage` with a name containing ``'paraphras'``, e.g.
      ``'paraphraser'``): the reconstruction loss of the teacher feature t, ``loss_weight *
      mean((P_dec(P_enc(t)) - t)^2)`` (``recon_loss='mse'``, mmkd's default) or ``loss_weight *
      mean(|P_dec(P_enc(t)) - t|)`` (``recon_loss='l1'``, the authors' release, whose paraphraser is
      trained with an L1 loss); the student is ignored (only the paraphraser is trained).
    - Any other stage (transfer): ``loss_weight * 1/N sum_n || F_s/||F_s||_2 - F_t/||F_t||_2 ||_p`` per sample
      n, with the teacher factor ``F_t = P_enc(t)`` (computed under no_grad with the paraphraser in eval
      mode, so it is neither trained nor are its BN statistics updated) and the student factor ``F_s`` =
      the translator's output (the point's connector, :class:`~mmkd.models.connectors.FTTranslator` with
      ``out_channels=k``); each factor is flattened per sample; p = 1 as in the paper. The authors'
      release weights the L1 distance averaged over all factor elements by beta = 500; with this
      per-sample norm, ``loss_weight = beta / (k * H * W)`` is the same objective.

    Train in one run with the distiller's stages, e.g. ``stages=[dict(name='paraphraser', end_iter=...,
    points=dict(ft=1.0), task_loss_weight=0.0), dict(name='transfer', points=dict(ft=500 / (k * h * w)))]``.
    The paraphraser's parameters belong to the distiller (saved and resumed with it); they receive gradients
    only in the paraphraser stage. Without ``stages`` the loss stays in its initial ``stage`` -- with the
    default ``'transfer'``, a randomly initialised paraphraser.

    Args:
        in_channels (int): Teacher feature channels C (give it: the distiller infers channels of
            connectors only).
        factor_rate (float): k = max(1, round(factor_rate * C)). Defaults to 0.5.
        p (int): Norm of the factor loss, 1 or 2. Defaults to 1.
        loss_weight (float): Multiplier. Defaults to 1.0.
        stage (str): Initial stage name. Defaults to ``'transfer'``.
        recon_loss (str): The paraphraser's reconstruction loss, ``'mse'`` or ``'l1'`` (the authors'
            release). Defaults to ``'mse'``.
    """

    def __init__(self, in_channels: int, factor_rate: float = 0.5, p: int = 1, loss_weight: float = 1.0,
                 stage: str = 'transfer', recon_loss: str = 'mse') -> None:
        super().__init__(loss_weight)
        if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'in_channels must be a positive int (the teacher feature channels), got '
                             f'{in_channels!r}')
        if factor_rate <= 0:
            raise ValueError(f'factor_rate must be positive, got {factor_rate}')
        if p not in (1, 2):
            raise ValueError(f'p must be 1 or 2, got {p!r}')
        if recon_loss not in _RECON_LOSSES:
            raise ValueError(f"recon_loss must be 'mse' or 'l1' (the authors' release), got {recon_loss!r}")
        self.in_channels = in_channels
        self.factor_rate = factor_rate
        self.factor_channels = max(1, int(round(factor_rate * in_channels)))
        self.p = p
        self.recon_loss = recon_loss
        self.paraphraser = Paraphraser(in_channels, self.factor_channels)
        self.stage = stage

    def set_stage(self, name: str) -> None:
        """Switch between the paraphraser stage (a name containing ``'paraphras'``) and transfer."""
        self.stage = name

    @property
    def training_paraphraser(self) -> bool:
        return PARAPHRASER_STAGE in str(self.stage).lower()

    @property
    def _dtype(self) -> torch.dtype:
        """The paraphraser's parameter dtype (float32 unless converted)."""
        return next(self.paraphraser.parameters()).dtype

    def _check_teacher(self, teacher: torch.Tensor) -> None:
        if teacher.dim() != 4 or teacher.shape[1] != self.in_channels:
            raise ValueError(f'FTLoss(in_channels={self.in_channels}) expects a (N, {self.in_channels}, H, W) '
                             f'teacher feature, got {tuple(teacher.shape)}; set in_channels= to the teacher '
                             'channels')

    def teacher_factor(self, teacher: torch.Tensor) -> torch.Tensor:
        """``P_enc(t)`` under no_grad with the paraphraser in eval mode (its mode is restored after)."""
        self._check_teacher(teacher)
        was_training = self.paraphraser.training
        self.paraphraser.eval()
        try:
            with torch.no_grad():
                return self.paraphraser.encoder(teacher.detach().to(self._dtype))
        finally:
            self.paraphraser.train(was_training)

    def loss(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        """Args:
            student (Tensor): Translator output, (N, k, H, W) (unused in the paraphraser stage).
            teacher (Tensor): Teacher feature, (N, in_channels, H, W).

        Returns:
            Tensor: Scalar loss of the current stage.
        """
        if self.training_paraphraser:
            self._check_teacher(teacher)
            t = teacher.to(self._dtype)
            error = self.paraphraser(t) - t
            return reduce_loss(error.abs() if self.recon_loss == 'l1' else error.pow(2), 'mean')
        f_t = self.teacher_factor(teacher)
        if student.shape != f_t.shape:
            raise ValueError(f'the student factor {tuple(student.shape)} does not match the teacher factor '
                             f'{tuple(f_t.shape)} (k = {self.factor_channels} = round(factor_rate * in_channels)); '
                             f'give the point connector=dict(type=\'mmkd.FTTranslator\', '
                             f'out_channels={self.factor_channels}) (and resize= for another spatial size)')
        s = F.normalize(student.flatten(1), dim=1)
        t = F.normalize(f_t.flatten(1), dim=1).to(s.dtype)
        return reduce_loss(torch.linalg.vector_norm(s - t, ord=self.p, dim=1), 'mean')

    def extra_repr(self) -> str:
        return (f'in_channels={self.in_channels}, factor_channels={self.factor_channels}, p={self.p}, '
                f'loss_weight={self.loss_weight}, stage={self.stage!r}, recon_loss={self.recon_loss!r}')
