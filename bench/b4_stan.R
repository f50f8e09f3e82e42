# B4 of shared/BENCHMARKS.md, Stan against genc in one script (run by bench/run_b4_stan.sh).
# Usage: Rscript b4_stan.R <bench_nuts binary> <work dir> <seeds, comma-separated>
# Writes the B4 data and the Stan model, compiles it once (timed apart), runs NUTS 500 warmup +
# 1000 draws with one chain and with four (one after another, cores = 1, as genc's runs), runs
# bench_nuts on the same data with the same seeds, and computes every min-ESS with the same code:
# posterior::ess_bulk over w_1..w_10 of the draws each system wrote. Prints medians and ratios.
# Seconds are CPU seconds on both sides (Stan's get_elapsed_time is clock(); bench_nuts uses
# clock() too): on a shared machine wall time mostly measures the neighbours.
suppressPackageStartupMessages({
  library(rstan)
  library(posterior)
})
rstan_options(boost_lib = "/usr/include") # Debian's Boost headers (shared/BENCHMARKS.md)
args <- commandArgs(trailingOnly = TRUE)
bench <- args[1]
dir <- args[2]
seeds <- as.integer(strsplit(if (length(args) > 2) args[3] else "1,2,3", ",")[[1]])

# The data, from BENCHMARKS.md's formulas (i, j 0-based there).
N <- 1000
P <- 10
X <- outer(0:(N - 1), 0:(P - 1), function(i, j) sin(0.37 * (i + 1) * (j + 1) + 0.1 * j))
wstar <- seq(-1, 1, length.out = P)
y <- as.integer(X %*% wstar + 0.5 * sin(12.9898 * (0:(N - 1))) > 0)
write.csv(data.frame(X, y = y), file.path(dir, "b4_data.csv"), row.names = FALSE)

code <- "
data { int<lower=0> N; int<lower=0> P; matrix[N, P] X; int<lower=0, upper=1> y[N]; }
parameters { vector[P] w; real b; }
model {
  w ~ normal(0, 1);
  b ~ normal(0, 1);
  y ~ bernoulli_logit_glm(X, b, w); // Stan's fastest form of this likelihood
}
"
writeLines(code, file.path(dir, "b4.stan"))
# The compiled model is kept in the work dir with its compile time (Stan's compile takes ~50 s):
# a rerun with the same work dir reuses it and reports the first compile.
cache <- file.path(dir, "b4_stan_model.rds")
if (file.exists(cache)) {
  sm <- readRDS(cache)
  compile <- as.numeric(readLines(file.path(dir, "b4_stan_compile_secs.txt")))
} else {
  compile <- system.time(sm <- stan_model(model_code = code, verbose = FALSE))[["elapsed"]]
  saveRDS(sm, cache)
  writeLines(format(compile), file.path(dir, "b4_stan_compile_secs.txt"))
}
cat(sprintf("Stan %s: compile %.1f s (counted apart)\n", stan_version(), compile))
sdata <- list(N = N, P = P, X = X, y = y)

min_ess <- function(draws) { # draws: iterations x chains x P
  min(sapply(seq_len(P), function(j) ess_bulk(draws[, , j, drop = TRUE])))
}

stan_run <- function(chains, seed) {
  wall <- system.time(fit <- sampling(sm, data = sdata, chains = chains, cores = 1, iter = 1500,
                                      warmup = 500, seed = seed, refresh = 0))[["elapsed"]]
  own <- sum(get_elapsed_time(fit)) # Stan's own warmup + sampling seconds: clock(), CPU time
  w <- as.array(fit, pars = "w")     # iterations x chains x P
  c(secs = own, wall = wall, ess = min_ess(w))
}

# bench_nuts writes [chain][iter] rows: chain, iter, w_1..w_10 for each genc mode.
genc_run <- function(seed) {
  out <- system2(bench, c(seed, dir), stdout = TRUE)
  res <- list()
  for (line in grep("^B4 ", out, value = TRUE)) cat("  genc:", line, "\n")
  if (!any(out == sprintf("B4 data: sum(y) = %d", sum(y))))
    stop("genc's B4 data differ from R's (sum(y) = ", sum(y), ")")
  for (f in list.files(dir, pattern = sprintf("^genc_.*_s%d[.]csv$", seed), full.names = TRUE)) {
    secs <- as.numeric(sub("# secs=", "", readLines(f, n = 1)))
    d <- read.csv(f, comment.char = "#")
    nc <- max(d$chain) + 1
    arr <- array(NA_real_, c(nrow(d) / nc, nc, P))
    for (j in seq_len(P)) arr[, , j] <- matrix(d[[paste0("w", j)]], ncol = nc)
    mode <- sub(sprintf("^genc_(.*)_s%d[.]csv$", seed), "\\1", basename(f))
    res[[mode]] <- c(secs = secs, ess = min_ess(arr))
  }
  res
}

rows <- list()
for (s in seeds) {
  for (nc in c(1, 4)) {
    r <- stan_run(nc, s)
    cat(sprintf("  Stan %d chain(s), seed %d: %.2f s (wall %.2f), min bulk ESS %.0f, %.0f min-ESS/s\n",
                nc, s, r[["secs"]], r[["wall"]], r[["ess"]], r[["ess"]] / r[["secs"]]))
    rows[[length(rows) + 1]] <- data.frame(system = sprintf("stan_%dch", nc), seed = s,
                                           secs = r[["secs"]], ess = r[["ess"]])
  }
  g <- genc_run(s)
  for (m in names(g))
    rows[[length(rows) + 1]] <- data.frame(system = paste0("genc_", m), seed = s,
                                           secs = g[[m]][["secs"]], ess = g[[m]][["ess"]])
}
tab <- do.call(rbind, rows)
tab$rate <- tab$ess / tab$secs
med <- aggregate(cbind(secs, ess, rate) ~ system, tab, median)
stan_rate <- function(sys) med$rate[med$system == sys]
med$vs_stan <- mapply(function(sys, rate) {
  rate / stan_rate(if (grepl("1ch", sys)) "stan_1ch" else "stan_4ch")
}, med$system, med$rate)
cat(sprintf("\nB4, medians over seeds %s (posterior::ess_bulk for every system):\n",
            paste(seeds, collapse = ",")))
cat(sprintf("%-22s %8s %8s %10s %8s\n", "system", "secs", "minESS", "minESS/s", "vs Stan"))
for (i in seq_len(nrow(med)))
  cat(sprintf("%-22s %8.2f %8.0f %10.0f %8.2f\n", med$system[i], med$secs[i], med$ess[i],
              med$rate[i], med$vs_stan[i]))
