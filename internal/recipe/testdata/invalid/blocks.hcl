seed = 3 # ERROR: Unsupported argument

fitler "x" { # ERROR: Unsupported block type
  input = fetch.a
}

fetch "a" {
  url    = "file://a.csv"
  fromat = "csv" # ERROR: Unsupported argument
  retry { # ERROR: Unsupported block type
    count = 3
  }
}

filter "f" { # ERROR: Missing required argument
  input = fetch.a
  wher  = ok # ERROR: Unsupported argument
}

output "o" { # ERROR: Missing required argument
  path = "out/o.csv"
}

flatten "bad name" { # ERROR: Invalid node name
  input  = fetch.a
  column = "dialog"
}

filter { # ERROR: Missing name for filter
  input = fetch.a
  where = ok
}
