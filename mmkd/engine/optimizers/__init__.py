from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .module_groups_constructor import ModuleGroupsOptimWrapperConstructor

__all__ = ['CPUAmpOptimWrapper', 'ModuleGroupsOptimWrapperConstructor']
