# Codistillation (Anil et al., ICLR 2018): one ResNet-18 peer (32 px classifier) per process, each trained
# on its own shard of the toy classification data (the distributed sampler gives every rank different
# images) with its own optimizer; no gradient is all-reduced (model_wrapper_cfg: mmkd.LocalModelWrapper,
# instead of DDP). Every 25 iterations from iteration 50 (burn_in) on, mmkd.CodistillationHook gathers all
# peers' weights (all_gather_object: gloo on CPUs); from then on each peer adds
# loss_codist = T^2 * KL(mean of the other peers' stale softmax || own softmax), T = 1, the stale copies
# being 0-24 iterations old. Schedule, data and runtime: cls/cls_r18_toy.py (200 iterations of batch 32
# per process). Validation mixes the peers (each rank evaluates its own peer on its part of the set);
# iter_N.pth is rank 0's peer; every rank writes its own to work_dirs/<name>/peers/rank<r>_iter200.pth.
#   tools/dist_train.sh configs/codistillation/codist_cls_r18_toy.py 2
_base_ = ['../cls/cls_r18_toy.py']

model = dict(
    _delete_=True,
    type='mmkd.Codistillation',
    student={{_base_.model}},
    logits='head.fc',
    loss=dict(type='mmkd.KDLoss', tau=1.0, loss_weight=1.0),
    burn_in=50)
model_wrapper_cfg = dict(type='mmkd.LocalModelWrapper')
custom_hooks = [dict(type='mmkd.CodistillationHook', exchange_interval=25)]
