# Ensemble of specialists (Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015,
# Sec. 5) with the 32 px ResNet-18 on CIFAR-100: a trained generalist (cls/cls_r18_cifar100.py); its
# confusable class clusters (K-means on the columns of the covariance of its predicted probabilities on
# the training set); one specialist per cluster of >= 2 classes, with the cluster's classes plus a dustbin,
# initialised from the generalist (head rows copied; dustbin row = mean of the other rows, bias + log of
# their number) and fine-tuned on data where half the images come from its classes; at test time the
# specialists whose classes hold the generalist's top-1 class join it through
# q = argmin KL(p_g || q) + sum_m KL(p_m || q_m) (gradient steps on the logits of q).
# Not a tools/train.py config: run it with
#   python tools/specialists.py configs/specialists/specialists_cls_r18_cifar100.py \
#       --work-dir work_dirs/spec_r18_cifar100
# The specialists train with the data and runtime of cls/cls_r18_cifar100.py and a fine-tuning schedule:
# 30 epochs of their enriched data (about 2 x 500 x |cluster| images), SGD 0.01 with a cosine decay.
_base_ = [
    '../_base_/datasets/cifar100.py', '../_base_/schedules/cifar100_200e.py',
    '../_base_/default_runtime_cls.py'
]

# the generalist: its config (read from the repository root) and checkpoint; checkpoint None makes the
# tool train generalist_config first (into <work-dir>/generalist)
generalist_config = 'configs/cls/cls_r18_cifar100.py'
generalist_checkpoint = 'work_dirs/cls_r18_cifar100/epoch_200.pth'
# the clustering (mmkd.utils.specialists.cluster_classes): 'covariance' of the predicted probabilities
# (the paper) or 'confusion'; 'kmeans' on the columns (the paper's) or 'agglomerative'; predictions on
# the 'train' or 'val' set; 10 clusters of about 10 classes (CIFAR-100's superclasses hold 5 each)
specialist_clusters = dict(
    num_clusters=10, source='covariance', method='kmeans', split='train', min_size=2, seed=0)
# the specialists' training data (mmkd.SpecialistDataset): half of the images from the cluster (the paper)
specialist_data = dict(cluster_fraction=0.5, seed=0)
# the combination (mmkd.SpecialistEnsemble): specialists selected by the generalist's top-1 class (the
# paper's n = 1), 100 gradient steps on the logits of q
specialist_ensemble = dict(top_n=1, steps=100, lr=1.0)
specialist_fc = 'head.fc'

train_cfg = dict(max_epochs=30, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=30, eta_min=1e-4, by_epoch=True, begin=0, end=30)]
default_hooks = dict(checkpoint=dict(interval=5))
