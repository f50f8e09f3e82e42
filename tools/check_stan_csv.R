# Read CmdStan CSV files written by genc (genc_stan_csv_*) with
# rstan::read_stan_csv and check what it made of them:
#   Rscript tools/check_stan_csv.R chain1.csv [chain2.csv ...]
# Exit 0 when rstan read every file and its draws equal the CSV's values bit
# for bit (read back with read.csv), 1 on a mismatch or a read error, 77 when
# rstan is not installed (ctest: skipped). tests/test_infer_csv_rstan.c runs it.
files <- commandArgs(trailingOnly = TRUE)
if (length(files) == 0) stop("usage: Rscript tools/check_stan_csv.R file.csv ...")
if (!requireNamespace("rstan", quietly = TRUE)) {
  cat("skipped: rstan is not installed\n")
  quit(status = 77)
}
fit <- tryCatch(suppressMessages(rstan::read_stan_csv(files)), error = function(e) {
  cat("read_stan_csv failed:", conditionMessage(e), "\n")
  quit(status = 1)
})
print(fit, digits_summary = 4)
arr <- as.array(fit) # iterations x chains x parameters (rstan's bracket names)
ok <- TRUE
for (k in seq_along(files)) {
  raw <- read.csv(files[k], comment.char = "#", check.names = FALSE)
  for (col in setdiff(names(raw), c("accept_stat__", "stepsize__", "treedepth__",
                                    "n_leapfrog__", "divergent__", "energy__"))) {
    # CmdStan's a.1.2 is rstan's a[1,2]
    parts <- strsplit(col, ".", fixed = TRUE)[[1]]
    name <- if (length(parts) > 1)
      sprintf("%s[%s]", parts[1], paste(parts[-1], collapse = ",")) else col
    if (!(name %in% dimnames(arr)[[3]])) {
      cat("rstan has no parameter", name, "for column", col, "\n"); ok <- FALSE; next
    }
    if (!identical(unname(arr[, k, name]), raw[[col]])) {
      cat("chain", k, "column", col, "differs between rstan and the CSV\n"); ok <- FALSE
    }
  }
  sp <- rstan::get_sampler_params(fit, inc_warmup = FALSE)[[k]]
  if (!identical(unname(sp[, "divergent__"]), as.numeric(raw$divergent__))) {
    cat("chain", k, "sampler columns differ\n"); ok <- FALSE
  }
}
cat(if (ok) "rstan::read_stan_csv read the files; every draw matches bit for bit\n"
    else "MISMATCH\n")
quit(status = if (ok) 0 else 1)
