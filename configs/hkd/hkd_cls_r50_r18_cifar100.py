# Information-flow KD (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation using Information Flow
# Modeling", CVPR 2020) on CIFAR-100, in one run:
# ResNet-50 -> auxiliary 2x wide ResNet-18 (configs/hkd/cls_r18w2_cifar100.py) -> ResNet-18.
#   python tools/train.py configs/hkd/hkd_cls_r50_r18_cifar100.py
# mmkd.AssistantDistiller: epochs 1-200 train the auxiliary network from the ResNet-50 (point hkd_aux), epochs
# 201-400 the student from the frozen auxiliary network (point hkd), each with the CIFAR-100 recipe of
# cls/cls_r18_cifar100.py (SGD lr 0.1, divided by 10 after 100 and 150 epochs of its step) and its own
# optimizer; the student's information-flow weights decay per epoch from the start of step 2. Validation
# during epochs 1-200 is the auxiliary network's, after that the student's, so the best-top-1 checkpoint
# rule of the recipe is off (it would keep an auxiliary-network epoch). Points: _base_/distill/
# hkd_cls_r50_r18.py, shared with the toy twin.
# Teacher, trained first (no published checkpoint of this 32 px ResNet-50 exists):
#   python tools/train.py configs/cls/cls_r50_cifar100.py  -> work_dirs/cls_r50_cifar100/epoch_200.pth
# Data: data/cifar-100-python (docs/data_preparation.md).
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py', '../_base_/distill/hkd_cls_r50_r18.py']

assistant_epochs = 200
model = dict(
    type='mmkd.AssistantDistiller',
    assistant='configs/hkd/cls_r18w2_cifar100.py',
    assistant_epochs=assistant_epochs,
    assistant_points={{_base_.hkd_aux_points}},
    distill_points={{_base_.hkd_points.cifar100}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))

train_cfg = dict(max_epochs=2 * assistant_epochs)
sgd = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
optim_wrapper = dict(
    _delete_=True,
    constructor='mmkd.ModuleGroupsOptimWrapperConstructor',
    assistant=dict(optimizer=sgd),
    student=dict(optimizer=sgd))
param_scheduler = dict(
    _delete_=True,
    assistant=[dict(type='MultiStepLR', by_epoch=True, milestones=[100, 150], gamma=0.1, begin=0,
                    end=assistant_epochs)],
    student=[dict(type='MultiStepLR', by_epoch=True, milestones=[100, 150], gamma=0.1, begin=assistant_epochs,
                  end=2 * assistant_epochs)])
default_hooks = dict(checkpoint=dict(save_best=None))
# each step leaves the other's parameters without gradients (tools/dist_train.sh)
find_unused_parameters = True
