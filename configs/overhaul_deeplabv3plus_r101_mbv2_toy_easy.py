# Kept at the configs root for the documented commands; the config lives in configs/overhaul/.
_base_ = './overhaul/overhaul_deeplabv3plus_r101_mbv2_toy_easy.py'
