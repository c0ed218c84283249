# Regenerates the reference tables of tests/it from the R packages themselves:
#   Rscript make_reference.R
# Used: R 4.2.2, surveillance 1.20.3, EpiEstim 2.2-4 (Debian bookworm packages
# r-cran-surveillance and r-cran-epiestim). The outputs are committed; the tests never run R.
suppressMessages(library(surveillance))
suppressMessages(library(EpiEstim))
fmt <- function(x) ifelse(is.na(x), "NA", trimws(formatC(x, digits = 15, format = "g")))

## Series -----------------------------------------------------------------------------------
set.seed(20240601)
# Weekly, 7 years from Monday 2015-01-05: seasonal negative binomial counts with a slow trend,
# an outbreak in year 3 (weeks 120-123), another at the end, and two missing weeks.
nw <- 364
tw <- seq_len(nw)
mu <- exp(2.2 + 0.6 * sin(2 * pi * tw / 52) + 0.0015 * tw)
weekly <- rnbinom(nw, mu = mu, size = 8)
weekly[120:123] <- weekly[120:123] + c(15, 30, 25, 10)
weekly[355:364] <- weekly[355:364] + c(0, 0, 5, 10, 20, 30, 30, 20, 10, 5)
weekly[c(100, 200)] <- NA
weekly_dates <- seq(as.Date("2015-01-05"), by = "week", length.out = nw)
write.csv(data.frame(date = weekly_dates, count = weekly), "weekly_series.csv",
          row.names = FALSE, quote = FALSE, na = "")

# Daily, 3 years from 2019-01-01 (2020 is a leap year): weekly pattern, Poisson counts, a
# cluster at the end.
nd <- 3 * 365 + 1
td <- seq_len(nd)
daily <- rpois(nd, exp(1.6 + 0.3 * (td %% 7 < 2) + 0.4 * sin(2 * pi * td / 365)))
daily[(nd - 9):nd] <- daily[(nd - 9):nd] + c(0, 1, 3, 6, 9, 12, 15, 9, 6, 3)
daily_dates <- seq(as.Date("2019-01-01"), by = "day", length.out = nd)
write.csv(data.frame(date = daily_dates, count = daily), "daily_series.csv",
          row.names = FALSE, quote = FALSE)

write_result <- function(res, range, file) {
  expected <- res@control$expected
  if (is.null(expected)) expected <- rep(NA, length(range))
  out <- data.frame(index = range - 1, observed = fmt(observed(res)[, 1]),
                    expected = fmt(as.vector(expected)),
                    threshold = fmt(upperbound(res)[, 1]),
                    alarm = as.integer(alarms(res)[, 1]))
  write.csv(out, file, row.names = FALSE, quote = FALSE)
}

## Farrington -------------------------------------------------------------------------------
sw <- sts(observed = weekly, epoch = as.numeric(weekly_dates), epochAsDate = TRUE,
          frequency = 52)
range_w <- 265:nw   # the first point whose five reference windows lie inside the series
r <- farringtonFlexible(sw, control = list(range = range_w))
write_result(r, range_w, "farrington_weekly_default.csv")
r <- farringtonFlexible(sw, control = list(range = range_w, noPeriods = 10,
                        pastWeeksNotIncluded = 26, pThresholdTrend = 1,
                        thresholdMethod = "nbPlugin"))
write_result(r, range_w, "farrington_weekly_noufaily.csv")
range_w3 <- 161:nw
r <- farringtonFlexible(sw, control = list(range = range_w3, b = 3, w = 2, alpha = 0.01,
                        reweight = FALSE, powertrans = "1/2"))
write_result(r, range_w3, "farrington_weekly_b3.csv")

sd <- sts(observed = daily, epoch = as.numeric(daily_dates), epochAsDate = TRUE,
          frequency = 365)
range_d <- 735:nd
r <- farringtonFlexible(sd, control = list(range = range_d, b = 2, w = 3))
write_result(r, range_d, "farrington_daily_b2.csv")

## EARS and CUSUM on the first 120 days -----------------------------------------------------
sd120 <- sts(observed = daily[1:120], epoch = as.numeric(daily_dates[1:120]),
             epochAsDate = TRUE, frequency = 365)
for (m in c("C1", "C2")) {
  r <- earsC(sd120, control = list(method = m))
  write_result(r, r@control$range, paste0("ears_", tolower(m), ".csv"))
}
r <- earsC(sd120, control = list(method = "C2", baseline = 10, alpha = 0.01, minSigma = 1))
write_result(r, r@control$range, "ears_c2_baseline10.csv")

dp <- sts2disProg(sd120)
cu <- algo.cusum(dp, control = list(range = 8:120))
write.csv(data.frame(index = 7:119, observed = daily[8:120], expected = fmt(cu$control$m),
                     threshold = fmt(cu$upperbound), alarm = as.integer(cu$alarm)),
          "cusum.csv", row.names = FALSE, quote = FALSE)

## EpiEstim ---------------------------------------------------------------------------------
incid <- c(1, 2, 4, 3, 6, 8, 11, 9, 14, 18, 20, 25, 23, 30, 28, 33, 31, 29, 35, 30,
           27, 26, 22, 24, 19, 17, 15, 16, 12, 10)
write.csv(data.frame(incidence = incid), "rt_incidence.csv", row.names = FALSE, quote = FALSE)
res <- suppressWarnings(estimate_R(incid, method = "parametric_si",
                        config = make_config(list(mean_si = 4.8, std_si = 2.3))))
R <- res$R
write.csv(data.frame(t_start = R$t_start - 1, t_end = R$t_end - 1,
                     mean = fmt(R[["Mean(R)"]]), std = fmt(R[["Std(R)"]]),
                     q025 = fmt(R[["Quantile.0.025(R)"]]), median = fmt(R[["Median(R)"]]),
                     q975 = fmt(R[["Quantile.0.975(R)"]])),
          "rt_epiestim.csv", row.names = FALSE, quote = FALSE)
si <- discr_si(0:15, 4.8, 2.3)
write.csv(data.frame(k = 0:15, w = fmt(si)), "discr_si.csv", row.names = FALSE, quote = FALSE)
