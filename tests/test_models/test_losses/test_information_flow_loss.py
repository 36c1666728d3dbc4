"""InformationFlowLoss and its helpers: kernels, QMI, layer matching, the loss against NumPy, the schedule,
the supervised target, gradients (student only) and the distillation point's tuples."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub

from mmkd.models.algorithms.distill_point import DistillPoint
from mmkd.models.connectors import IdentityConnector
from mmkd.models.losses import InformationFlowLoss, information_flow, match_layers
from mmkd.models.losses.information_flow_loss import (cosine_kernel, kernel_probabilities, label_kernel,
                                                      quadratic_mutual_information, student_t_kernel)
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample


def samples(labels):
    return [ClsDataSample().set_gt_label(torch.tensor([int(y)])) for y in labels]


# NumPy reference of the loss, written from the formulas
def np_kernels(x, kernels):
    x = x.reshape(len(x), -1)
    out = []
    for name in kernels:
        if name == 'cosine':
            f = x / np.linalg.norm(x, axis=1, keepdims=True)
            out.append((f @ f.T + 1) / 2)
        else:
            d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
            out.append(1 / (1 + d))
    return out


def np_probs(k):
    return k / k.sum(axis=1, keepdims=True)


def np_divergence(p_t, p_s, divergence, eps=1e-6):
    log_ratio = np.log(p_t + eps) - np.log(p_s + eps)
    return ((p_t if divergence == 'kl' else p_t - p_s) * log_ratio).mean()


def np_loss(students, teachers, matching, weights, kernels, divergence, labels=None):
    total = 0.0
    for i, (s, j, w) in enumerate(zip(students, matching, weights)):
        if labels is not None and i == len(students) - 1:
            targets = [np_probs((labels[:, None] == labels[None, :]).astype(float))] * len(kernels)
        else:
            targets = [np_probs(k) for k in np_kernels(teachers[j], kernels)]
        for p_t, k_s in zip(targets, np_kernels(s, kernels)):
            total += w * np_divergence(p_t, np_probs(k_s), divergence)
    return total


def test_kernels_hand_values():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    c = (1 + 2 ** -0.5) / 2
    torch.testing.assert_close(cosine_kernel(x), torch.tensor(
        [[1.0, 0.5, c], [0.5, 1.0, c], [c, c, 1.0]], dtype=torch.float64))
    y = torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=torch.float64)  # distance 5
    torch.testing.assert_close(student_t_kernel(y), torch.tensor([[1.0, 1 / 6], [1 / 6, 1.0]],
                                                                  dtype=torch.float64))
    p = kernel_probabilities(label_kernel(torch.tensor([0, 1, 0])))
    torch.testing.assert_close(p, torch.tensor([[0.5, 0.0, 0.5], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]))


def test_qmi_matches_torkkola_class_form():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 5))
    labels = np.array([0, 1, 1, 2, 0, 1, 2])
    k = np_kernels(x, ['cosine'])[0]
    n = len(x)
    v_in = v_all = v_btw = 0.0
    for c in np.unique(labels):
        m = labels == c
        share = m.sum() / n
        v_in += k[np.ix_(m, m)].sum() / n ** 2
        v_all += share ** 2 * k.sum() / n ** 2
        v_btw += share * k[m].sum() / n ** 2
    expected = v_in + v_all - 2 * v_btw
    qmi = quadratic_mutual_information(cosine_kernel(torch.from_numpy(x)), label_kernel(torch.from_numpy(labels)))
    assert qmi.item() == pytest.approx(expected, rel=1e-10)
    assert expected > 0
    # a single class carries no information about the labels
    one_class = label_kernel(torch.zeros(7, dtype=torch.long)).double()
    assert quadratic_mutual_information(cosine_kernel(torch.from_numpy(x)), one_class).item() == pytest.approx(
        0.0, abs=1e-12)


def test_match_layers_hand_values():
    assert match_layers(torch.tensor([0.1, 0.5, 0.9]), torch.tensor([0.0, 0.4, 0.6, 1.0])) == [0, 1, 3]
    assert match_layers(torch.tensor([0.2]), torch.tensor([0.0, 0.4])) == [0]  # tie: the shallower layer


def test_flow_orders_layers_and_flow_matching():
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    constant = torch.ones(6, 4)  # all samples alike: no information about the labels
    clustered = nn.functional.one_hot(labels, 3).double() * 3 + 0.1
    flow = information_flow([constant, clustered], label_kernel(labels))
    assert flow[0].item() == pytest.approx(0.0, abs=1e-7) and flow[1].item() > 0.01
    loss = InformationFlowLoss(kernels=('cosine', ), matching='flow')
    loss([clustered.clone(), constant.clone()], [constant, 2 * clustered], data_samples=samples(labels.tolist()))
    assert loss.last_matching == [1, 0]
    # without labels the flow is measured against the teacher's last layer: same order here
    loss([clustered.clone(), constant.clone()], [constant, 2 * clustered])
    assert loss.last_matching == [1, 0]


@pytest.mark.parametrize('kernels,divergence', [(('cosine', ), 'kl'), (('cosine', 'student_t'), 'jeffreys')])
def test_unsupervised_loss_against_numpy(kernels, divergence):
    rng = np.random.default_rng(1)
    students = [rng.normal(size=(5, 2, 2, 2)), rng.normal(size=(5, 6))]
    teachers = [rng.normal(size=(5, 3, 2, 2)), rng.normal(size=(5, 4)), rng.normal(size=(5, 9))]
    loss = InformationFlowLoss(kernels=kernels, divergence=divergence, matching=[1, -1], loss_weight=0.5)
    value = loss([torch.from_numpy(s) for s in students], [torch.from_numpy(t) for t in teachers])
    expected = 0.5 * np_loss(students, teachers, [1, 2], [100.0, 1.0], kernels, divergence)
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(expected, rel=1e-9)
    assert loss.last_matching == [1, 2]


def test_supervised_target_and_schedule_from_message_hub():
    rng = np.random.default_rng(2)
    labels = np.array([0, 1, 0, 2, 1, 1])
    students = [rng.normal(size=(6, 3)), rng.normal(size=(6, 4)), rng.normal(size=(6, 5))]
    teachers = [rng.normal(size=(6, 3)), rng.normal(size=(6, 8)), rng.normal(size=(6, 2))]
    loss = InformationFlowLoss(supervised=True, init_weight=10.0, decay=0.5, final_weight=2.0)
    assert loss.layer_weights(3, step=0) == [10.0, 10.0, 2.0]
    assert loss.layer_weights(3, step=3) == [1.25, 1.25, 2.0]
    hub = MessageHub.get_current_instance()
    had_epoch, old_epoch = 'epoch' in hub.runtime_info, hub.get_info('epoch')
    hub.update_info('epoch', 3)
    try:
        value = loss([torch.from_numpy(s) for s in students], [torch.from_numpy(t) for t in teachers],
                     data_samples=samples(labels))
    finally:
        if had_epoch:
            hub.update_info('epoch', old_epoch)
        else:
            hub.pop_info('epoch')
    expected = np_loss(students, teachers, [0, 1, 2], [1.25, 1.25, 2.0], ('cosine', 'student_t'), 'jeffreys',
                       labels=labels)
    assert value.item() == pytest.approx(expected, rel=1e-9)
    # the label target ignores the teacher's last layer entirely
    teachers[2] = rng.normal(size=(6, 2))
    again = loss([torch.from_numpy(s) for s in students], [torch.from_numpy(t) for t in teachers],
                 data_samples=samples(labels))
    step_now = loss._step()
    expected_now = np_loss(students, teachers, [0, 1, 2], loss.layer_weights(3, step_now),
                           ('cosine', 'student_t'), 'jeffreys', labels=labels)
    assert again.item() == pytest.approx(expected_now, rel=1e-9)


def test_iteration_schedule_and_equal_features():
    loss = InformationFlowLoss(decay_by='iter', decay_interval=100, init_weight=100.0, decay=0.7)
    assert loss.layer_weights(2, step=99) == [100.0, 1.0]
    assert loss.layer_weights(2, step=250) == [pytest.approx(49.0), 1.0]
    x = [torch.randn(4, 3, 2, 2), torch.randn(4, 5)]
    assert loss([t.clone() for t in x], x).item() == pytest.approx(0.0, abs=1e-6)


def test_gradients_reach_the_student_only():
    torch.manual_seed(3)
    students = [torch.randn(6, 4, 2, 2, requires_grad=True), torch.randn(6, 5, requires_grad=True)]
    teachers = [torch.randn(6, 8, 2, 2, requires_grad=True), torch.randn(6, 7, requires_grad=True)]
    student_dup = students[1].detach().clone()
    student_dup[1] = student_dup[0]  # coinciding samples: the Student-t kernel's distance 0 off the diagonal
    student_dup.requires_grad_(True)
    loss = InformationFlowLoss(supervised=True)
    value = loss([students[0], student_dup], teachers, data_samples=samples([0, 1, 0, 1, 2, 2]))
    value.backward()
    for s in (students[0], student_dup):
        assert s.grad is not None and torch.isfinite(s.grad).all() and s.grad.abs().sum() > 0
    assert all(t.grad is None for t in teachers)


def test_through_a_multi_position_distill_point():
    torch.manual_seed(4)
    loss = MODELS.build(dict(type='mmkd.InformationFlowLoss', supervised=True, kernels=['cosine']))
    # feature sizes may differ (the loss compares in-batch similarities): connectors must not insist on
    # resizing to the paired teacher feature
    connectors = nn.ModuleList([IdentityConnector(strict=False), IdentityConnector(strict=False)])
    point = DistillPoint(connectors, None, loss, multi=True)
    assert point.needs_data_samples
    students = [torch.randn(4, 3, 4, 4), torch.randn(4, 6)]
    teachers = [torch.randn(4, 5, 2, 2), torch.randn(4, 6)]
    data = samples([0, 1, 1, 0])
    expected = loss(students, teachers, data_samples=data)
    assert point(students, teachers, data).item() == pytest.approx(expected.item(), rel=1e-6)


def test_bad_input():
    loss = InformationFlowLoss()
    with pytest.raises(TypeError, match='lists of positions'):
        loss(torch.randn(4, 3), torch.randn(4, 3))
    with pytest.raises(ValueError, match="matching='flow'"):
        loss([torch.randn(4, 3)], [torch.randn(4, 3), torch.randn(4, 3)])
    with pytest.raises(ValueError, match='one teacher index per student position'):
        InformationFlowLoss(matching=[0])([torch.randn(4, 3)] * 2, [torch.randn(4, 3)] * 2)
    with pytest.raises(ValueError, match='out of range'):
        InformationFlowLoss(matching=[0, 5])([torch.randn(4, 3)] * 2, [torch.randn(4, 3)] * 2)
    with pytest.raises(ValueError, match='same batch'):
        loss([torch.randn(4, 3)], [torch.randn(5, 3)])
    with pytest.raises(ValueError, match='needs the ground-truth class labels'):
        InformationFlowLoss(supervised=True)([torch.randn(4, 3)], [torch.randn(4, 3)])
    with pytest.raises(ValueError, match='kernels must be'):
        InformationFlowLoss(kernels=('rbf', ))
    with pytest.raises(ValueError, match="matching must be None, 'flow'"):
        InformationFlowLoss(matching='closest')
