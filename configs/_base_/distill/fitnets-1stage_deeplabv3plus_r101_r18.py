# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), single stage: DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8; configs/fitnets/fitnets_deeplabv3plus_r101_r18_*.py holds the paper's two
# stages.
# The hint point (the output of stage 2 of 4: 512 channels teacher, 128 student, stride 8) and its loss:
# _base_/distill/fitnets-1stage_resnet.py.
# Shared by the toy and real twins configs/fitnets/fitnets-1stage_deeplabv3plus_r101_r18_{toy,voc12aug}.py;
# what differs between them (data) is said in their headers.
_base_ = ['./fitnets-1stage_resnet.py']
