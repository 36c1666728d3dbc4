# Information-flow KD (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation using Information Flow
# Modeling", CVPR 2020) on the toy classification data (10 classes, 32x32), in one run:
# ResNet-50 -> auxiliary 2x wide ResNet-18 (configs/hkd/cls_r18w2_toy.py) -> ResNet-18.
#   python tools/train.py configs/hkd/hkd_cls_r50_r18_toy.py
# mmkd.AssistantDistiller: iterations 0-199 train the auxiliary network from the ResNet-50 (point hkd_aux);
# at iteration 200 it is frozen and iterations 200-399 train the student from it (point hkd). Each step has
# its own SGD and schedule (warm-up + cosine over its 200 iterations, those of cls/cls_r18_toy.py), and the
# student's information-flow weights decay from the start of step 2. The evaluation at iteration 200 is the
# auxiliary network's, the one at 400 (and tools/test.py on iter_400.pth) the student's; iter_400_student.pth
# is the plain student. Points: _base_/distill/hkd_cls_r50_r18.py, shared with the CIFAR-100 twin.
_base_ = ['../_base_/distillers/cls_r50_r18_toy.py', '../_base_/distill/hkd_cls_r50_r18.py']

assistant_iters = 200
model = dict(
    type='mmkd.AssistantDistiller',
    assistant='configs/hkd/cls_r18w2_toy.py',
    assistant_iters=assistant_iters,
    assistant_points={{_base_.hkd_aux_points}},
    distill_points={{_base_.hkd_points.toy}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))

train_cfg = dict(max_iters=2 * assistant_iters, val_interval=assistant_iters)
sgd = dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
optim_wrapper = dict(
    _delete_=True,
    constructor='mmkd.ModuleGroupsOptimWrapperConstructor',
    assistant=dict(optimizer=sgd),
    student=dict(optimizer=sgd))


def warmup_cosine(begin, end):
    """10 iterations of linear warm-up, then cosine decay to 1e-4 (the toy schedule) over [begin, end)."""
    return [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=begin, end=begin + 10),
            dict(type='CosineAnnealingLR', T_max=end - begin - 10, eta_min=1e-4, by_epoch=False,
                 begin=begin + 10, end=end)]


param_scheduler = dict(
    _delete_=True,
    assistant=warmup_cosine(0, assistant_iters),
    student=warmup_cosine(assistant_iters, 2 * assistant_iters))
# each step leaves the other's parameters without gradients (tools/dist_train.sh)
find_unused_parameters = True
