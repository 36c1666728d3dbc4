# Ensemble of specialists (Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015,
# Sec. 5) with the toy 32 px ResNet-18 (10 classes): a trained generalist (cls/cls_r18_toy.py); its
# confusable class clusters (K-means on the columns of the covariance of its predicted probabilities on
# the training set); one specialist per cluster of >= 2 classes, with the cluster's classes plus a dustbin,
# initialised from the generalist (head rows copied; dustbin row = mean of the other rows, bias + log of
# their number) and fine-tuned on data where half the images come from its classes; at test time the
# specialists whose classes hold the generalist's top-1 class join it through
# q = argmin KL(p_g || q) + sum_m KL(p_m || q_m) (gradient steps on the logits of q).
# Not a tools/train.py config: run it with
#   python tools/specialists.py configs/specialists/specialists_cls_r18_toy.py --work-dir work_dirs/spec_r18_toy
# The specialists train with the data, schedule and runtime below (those of cls/cls_r18_toy.py, with a
# fine-tuning learning rate).
_base_ = [
    '../_base_/datasets/toy_cls.py', '../_base_/schedules/toy_cls_200it.py',
    '../_base_/default_runtime_cls.py'
]

# the generalist: its config (read from the repository root) and checkpoint; checkpoint None makes the
# tool train generalist_config first (into <work-dir>/generalist)
generalist_config = 'configs/cls/cls_r18_toy.py'
generalist_checkpoint = 'work_dirs/cls_r18_toy/iter_200.pth'
# the clustering (mmkd.utils.specialists.cluster_classes): 'covariance' of the predicted probabilities
# (the paper) or 'confusion' (arg-max confusion matrix); 'kmeans' on the columns (the paper's, batch
# K-means with restarts here) or 'agglomerative' (average linkage); predictions on the 'train' or 'val'
# set; clusters smaller than min_size get no specialist
specialist_clusters = dict(
    num_clusters=3, source='covariance', method='kmeans', split='train', min_size=2, seed=0)
# the specialists' training data (mmkd.SpecialistDataset): the share of images from the cluster (the
# paper: half) -- the dustbin logit is corrected for it at test time
specialist_data = dict(cluster_fraction=0.5, seed=0)
# the combination (mmkd.SpecialistEnsemble): specialists selected by the generalist's top_n classes (the
# paper: 1), then `steps` gradient steps of size lr / (1 + #active) on the logits of q
specialist_ensemble = dict(top_n=1, steps=100, lr=1.0)
# the generalist's final linear layer, re-sized for each specialist
specialist_fc = 'head.fc'

# fine-tuning from the generalist: a fifth of the from-scratch learning rate, no warm-up
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=200, eta_min=1e-4, by_epoch=False, begin=0, end=200)]
