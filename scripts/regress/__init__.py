"""The regression's job model (jobs), its plan and CI shards (plan), the engines that run it (engines)
and the merge of job results into one report (merge); scripts/regression.py is the command line."""
