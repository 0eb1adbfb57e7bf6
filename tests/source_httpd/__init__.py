"""Our modules in Apache httpd 2.4 built from Apache's own source
(scripts/source-httpd-image.sh); a package so that its module names never
clash with another suite's when suites run together."""
