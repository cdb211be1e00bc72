filter "f" {
  input = fetch.src
  where = x > var.threshold
}

output "f" {
  input = filter.f
  path  = "out/f.parquet"
}
