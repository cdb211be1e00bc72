include = ["lib/a.hcl", "lib/b.hcl", "lib/a.hcl"]

output "all" {
  input = select.b
  path  = "out/all.parquet"
}
