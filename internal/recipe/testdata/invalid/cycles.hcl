# Two independent cycles and a self-loop; each path starts at the smallest
# ID of its cycle whatever the order of the blocks.
select "z" {
  input = filter.m
}

filter "m" { # ERROR: Dependency cycle: filter.m → select.b → select.z → filter.m
  input = select.b
  where = ok
}

select "b" {
  input = select.z
}

filter "self" { # ERROR: Dependency cycle: filter.self → filter.self
  input = filter.self
  where = ok
}

mix "x" { # ERROR: Dependency cycle: mix.x → mix.y → mix.x
  sources = [fetch.ok, mix.y]
}

mix "y" {
  sources = { back = mix.x }
}

fetch "ok" {
  url = "file://ok.csv"
}

output "fine" {
  input = fetch.ok
  path  = "out/ok.csv"
}
