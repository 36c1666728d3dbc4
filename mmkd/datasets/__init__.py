from .cifar import CIFAR100Dataset, load_cifar_pickle
from .specialist_dataset import SpecialistDataset, dataset_labels
from .toy_generator import (CIFAR_TOY_CLASSES, CIFAR_TOY_COARSE_CLASSES, TOY_CLASSES, TOY_SEG_CLASSES,
                            TOY_SEG_PALETTE, generate_toy_data, summarize_toy_data)
from .transforms import *  # noqa: F401,F403

__all__ = [
    'CIFAR100Dataset', 'load_cifar_pickle', 'SpecialistDataset', 'dataset_labels', 'TOY_CLASSES',
    'TOY_SEG_CLASSES', 'TOY_SEG_PALETTE',
    'CIFAR_TOY_CLASSES', 'CIFAR_TOY_COARSE_CLASSES', 'generate_toy_data', 'summarize_toy_data'
]
