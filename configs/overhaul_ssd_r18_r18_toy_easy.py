# Kept at the configs root for the documented commands; the config lives in configs/overhaul/.
_base_ = './overhaul/overhaul_ssd_r18_r18_toy_easy.py'
