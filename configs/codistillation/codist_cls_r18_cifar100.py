# Codistillation (Anil et al., ICLR 2018): one ResNet-18 peer (32 px classifier) per process (one GPU
# each), each trained on its own part of CIFAR-100 (the distributed sampler splits every epoch's shuffled
# images between the ranks) with its own optimizer; no gradient is all-reduced (model_wrapper_cfg:
# mmkd.LocalModelWrapper, instead of DDP). Every 200 iterations ("a few hundred steps") from iteration
# 2000 (burn_in: 10 epochs of 196 iterations with two peers) on, mmkd.CodistillationHook gathers all
# peers' weights (all_gather_object, NCCL); each peer then adds
# loss_codist = T^2 * KL(mean of the other peers' stale softmax || own softmax), T = 1.
# Schedule, data and runtime: cls/cls_r18_cifar100.py (200 epochs, batch 128 per process, SGD 0.1).
# Validation mixes the peers (each rank evaluates its own peer on its part of the test set); epoch_N.pth
# is rank 0's peer; every rank writes its own to work_dirs/<name>/peers/rank<r>_iter<N>.pth after training.
#   tools/dist_train.sh configs/codistillation/codist_cls_r18_cifar100.py 2
_base_ = ['../cls/cls_r18_cifar100.py']

model = dict(
    _delete_=True,
    type='mmkd.Codistillation',
    student={{_base_.model}},
    logits='head.fc',
    loss=dict(type='mmkd.KDLoss', tau=1.0, loss_weight=1.0),
    burn_in=2000)
model_wrapper_cfg = dict(type='mmkd.LocalModelWrapper')
custom_hooks = [dict(type='mmkd.CodistillationHook', exchange_interval=200)]
