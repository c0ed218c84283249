mod batch;
mod cusum;
mod ears;
mod farrington;
