from setuptools import find_packages, setup

setup(name='mmkd', version='0.1.0', packages=find_packages(include=['mmkd', 'mmkd.*']))
