# Collaborative learning (Song & Chai, "Collaborative Learning for Deep Neural Networks", NeurIPS 2018)
# with ResNet-18 heads on CIFAR-100, from scratch, on the CIFAR-100 schedule of the other classifiers.
# Hierarchical (ILR) sharing: stem + stages 1-2 shared, 2 groups with their own stage 3, each forking
# into 2 heads with their own stage 4 + fc: 4 heads. Every fork reads grad_scale(parent, 1/2)
# (backpropagation rescaling), so the trunk receives the mean of the 4 heads' gradients. Loss per head:
#   beta * CE(z_h, y) + (1 - beta) * T^2 * KL(softmax(mean_{j != h} z_j / T) || softmax(z_h / T)),
# T = 2, beta = 0.5, the target detached. Evaluation and export use head 0 (predict_head='mean' averages).
_base_ = [
    '../_base_/models/cls_r18_cifar.py', '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar100_200e.py', '../_base_/default_runtime_cls.py'
]

model = dict(
    type='mmkd.CollaborativeClassifier',
    split_stages=(2, 3),
    fan_outs=(2, 2),
    kd_loss=dict(type='mmkd.KDLoss', tau=2.0),
    beta=0.5,
    rescale_grad=True,
    predict_head=0)
