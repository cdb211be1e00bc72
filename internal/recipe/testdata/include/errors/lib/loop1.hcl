include = ["loop2.hcl"]
