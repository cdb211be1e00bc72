include = [
  "lib/missing.hcl",
  "lib/data.csv",
  "../ok/lib/c.hcl",
  "/etc/x.hcl",
  "lib/loop1.hcl",
  "lib/clash.hcl",
  "lib/lib.hcl",
  "lib/clsh.hcl",
  "",
  var.lib,
  "main.hcl",
]

variable "lib" { default = "lib/clash.hcl" }

fetch "shared" {
  url = "https://example.org/a.csv"
}
