"""Stand-in for the get-pip bootstrap script that ansible-test downloads before sanity tests.

ansible-test fetches its bootstrap script from a host this machine cannot reach. This script
does the same job from a pip wheel taken from PyPI (the test command downloads it next to this
file): it runs pip straight from the wheel to install pip, plus whatever ansible-test asked for,
into the virtual environment that runs it.
"""
import glob
import os
import runpy
import sys

here = os.path.dirname(os.path.abspath(__file__))
wheels = sorted(glob.glob(os.path.join(here, "pip-*.whl")))
if not wheels:
    sys.exit("no pip wheel beside %s: the test command downloads one first" % __file__)
sys.path.insert(0, wheels[-1])
# get-pip's own switches: leave out setuptools/wheel, which plain pip never adds anyway.
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.argv = ["pip", "install", "--upgrade", "--force-reinstall"] + args
runpy.run_module("pip", run_name="__main__", alter_sys=True)
