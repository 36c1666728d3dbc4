# Kept at the configs root for the documented commands; the config lives in configs/overhaul/.
_base_ = './overhaul/overhaul_cls_r50_r18.py'
