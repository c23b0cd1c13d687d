"""Logging driver and option checks: every built-in driver, good and bad values, one-line errors."""
import pytest

from ansible_collections.dockhand.docker.plugins.module_utils.log_config import (
    BUILTIN_DRIVERS,
    InvalidLogConfig,
    is_plugin_reference,
    normalise_log_options,
    validate_log_driver,
)
from ansible_collections.dockhand.docker.plugins.module_utils.units import short_repr

GOOD = [
    ("json-file", {}),
    ("json-file", {"max-size": "10m", "max-file": "3"}),
    ("json-file", {"max-size": "1.5g", "max-file": "2", "compress": "true"}),
    ("json-file", {"max-size": "512KiB", "compress": "false"}),
    ("json-file", {"max-size": "100"}),
    ("json-file", {"tag": "{{.Name}}", "labels": "a,b", "labels-regex": "^a", "env": "OS", "env-regex": "^O"}),
    ("json-file", {"mode": "non-blocking", "max-buffer-size": "4m"}),
    ("json-file", {"mode": "blocking"}),
    ("local", {}),
    ("local", {"max-size": "20m", "max-file": "5", "compress": "true"}),
    ("local", {"max-file": "1", "compress": "false"}),
    ("local", {"cache-disabled": "true"}),
    ("syslog", {"syslog-address": "udp://192.0.2.1:514"}),
    ("syslog", {"syslog-address": "tcp://syslog.example.com"}),
    ("syslog", {"syslog-address": "tcp+tls://[2001:db8::1]:6514", "syslog-tls-ca-cert": "/ca.pem",
                "syslog-tls-cert": "/c.pem", "syslog-tls-key": "/k.pem", "syslog-tls-skip-verify": "false"}),
    ("syslog", {"syslog-address": "unix:///dev/log", "syslog-facility": "local7", "syslog-format": "rfc5424micro"}),
    ("syslog", {"syslog-address": "unixgram:///dev/log", "syslog-facility": "23", "tag": "app"}),
    ("syslog", {"syslog-format": "rfc3164", "syslog-facility": "daemon"}),
    ("journald", {}),
    ("journald", {"tag": "x", "labels": "location", "env": "TEST", "labels-regex": "a", "env-regex": "b"}),
    ("gelf", {"gelf-address": "udp://192.0.2.42:12201"}),
    ("gelf", {"gelf-address": "udp://graylog:12201", "gelf-compression-type": "none",
              "gelf-compression-level": "-1"}),
    ("gelf", {"gelf-address": "tcp://graylog:12201", "gelf-tcp-max-reconnect": "0",
              "gelf-tcp-reconnect-delay": "1"}),
    ("fluentd", {}),
    ("fluentd", {"fluentd-address": "fluentdhost:24224"}),
    ("fluentd", {"fluentd-address": "tcp://fluentdhost:24224", "fluentd-async": "true"}),
    ("fluentd", {"fluentd-address": "unix:///var/run/fluentd.sock", "fluentd-max-retries": "10",
                 "fluentd-retry-wait": "1s", "fluentd-buffer-limit": "1048576", "fluentd-sub-second-precision": "1",
                 "fluentd-async-reconnect-interval": "100ms", "fluentd-request-ack": "false",
                 "fluentd-write-timeout": "5s"}),
    ("fluentd", {"fluentd-address": "/var/run/fluentd.sock"}),
    ("fluentd", {"fluentd-address": "[::1]:24224"}),
    ("awslogs", {"awslogs-group": "app"}),
    ("awslogs", {"awslogs-group": "app", "awslogs-region": "us-east-1", "awslogs-stream": "s",
                 "awslogs-create-group": "true", "awslogs-datetime-format": "[%b %d]", "tag": "{{.ID}}",
                 "awslogs-force-flush-interval-seconds": "5", "awslogs-max-buffered-events": "4096",
                 "awslogs-endpoint": "https://logs.example", "awslogs-credentials-endpoint": "/creds"}),
    ("awslogs", {"awslogs-group": "app", "awslogs-multiline-pattern": "^INFO", "awslogs-create-stream": "false"}),
    ("splunk", {"splunk-url": "https://splunk:8088", "splunk-token": "176FCEBF"}),
    ("splunk", {"splunk-url": "http://splunk:8088", "splunk-token": "t", "splunk-format": "raw",
                "splunk-gzip": "true", "splunk-gzip-level": "9", "splunk-verify-connection": "false",
                "splunk-insecureskipverify": "true", "splunk-index": "i", "splunk-source": "s",
                "splunk-sourcetype": "st", "splunk-capath": "/ca", "splunk-caname": "n"}),
    ("gcplogs", {}),
    ("gcplogs", {"gcp-project": "p", "gcp-log-cmd": "true", "gcp-meta-zone": "z", "gcp-meta-name": "n",
                 "gcp-meta-id": "1", "labels": "l", "env": "e"}),
    ("logentries", {"logentries-token": "abc"}),
    ("logentries", {"logentries-token": "abc", "line-only": "true", "tag": "t"}),
    ("etwlogs", {}),
    ("etwlogs", {"mode": "non-blocking"}),
    ("none", {}),
    ("none", None),
]


@pytest.mark.parametrize("driver,options", GOOD)
def test_accepted(driver, options):
    result, warnings = normalise_log_options(driver, options)
    assert result == (options or {})
    assert warnings == []


BAD = [
    # unknown names
    ("json-file", {"bogus": "1"}, "unknown option 'bogus' for the json-file logging driver; it accepts:"),
    ("local", {"tag": "x"}, "unknown option 'tag' for the local logging driver"),
    ("local", {"labels": "x"}, "unknown option 'labels'"),
    ("gcplogs", {"tag": "x"}, "unknown option 'tag' for the gcplogs"),
    ("awslogs", {"awslogs-group": "g", "labels": "x"}, "unknown option 'labels' for the awslogs"),
    ("journald", {"max-size": "1m"}, "unknown option 'max-size' for the journald"),
    ("none", {"max-size": "1m"}, "the none logging driver takes no options"),
    ("none", {"mode": "non-blocking"}, "remove mode"),
    # sizes and counts
    ("json-file", {"max-size": "abc"}, "log_options.max-size: 'abc' is not a size"),
    ("json-file", {"max-size": "0"}, "log_options.max-size: '0' is zero bytes"),
    ("json-file", {"max-size": "-1"}, "is negative"),
    ("local", {"max-size": "10x"}, "unknown unit"),
    ("json-file", {"max-file": "0"}, "log_options.max-file: '0' is out of range; use a positive integer"),
    ("json-file", {"max-file": "three"}, "log_options.max-file: 'three' is not a positive integer"),
    ("local", {"max-file": "-1", "compress": "false"}, "is out of range"),
    ("json-file", {"compress": "maybe"}, "log_options.compress: 'maybe' is not a boolean"),
    ("local", {"cache-max-file": "0"}, "cache-max-file"),
    ("syslog", {"cache-disabled": "yes"}, "cache-disabled: 'yes' is not a boolean"),
    # combinations
    ("json-file", {"compress": "true"}, "compress=true with the json-file driver needs max-size"),
    ("json-file", {"compress": "true", "max-size": "1m"}, "max-file of 2 or more"),
    ("local", {"max-file": "1"}, "raise max-file or set compress to 'false'"),
    ("json-file", {"max-buffer-size": "4m"}, "only applies with mode 'non-blocking'"),
    ("json-file", {"mode": "blocking", "max-buffer-size": "4m"}, "only applies with mode 'non-blocking'"),
    ("json-file", {"mode": "non-blocking", "max-buffer-size": "lots"}, "max-buffer-size: 'lots' is not a size"),
    ("json-file", {"mode": "weird"}, "log_options.mode: 'weird' is not one of: blocking, non-blocking"),
    # syslog
    ("syslog", {"syslog-address": "foo://x"}, "is not a syslog address"),
    ("syslog", {"syslog-address": "192.0.2.1:514"}, "is not a syslog address"),
    ("syslog", {"syslog-address": "unix://dev/log"}, "needs an absolute socket path"),
    ("syslog", {"syslog-address": "udp://host:99999"}, "invalid port '99999'"),
    ("syslog", {"syslog-facility": "LOCAL0"}, "is not a syslog facility"),
    ("syslog", {"syslog-facility": "24"}, "is not a syslog facility"),
    ("syslog", {"syslog-format": "rfc9999"}, "is not one of: rfc3164, rfc5424, rfc5424micro"),
    ("syslog", {"syslog-tls-skip-verify": "nope"}, "is not a boolean"),
    # gelf
    ("gelf", {}, "the gelf logging driver needs the 'gelf-address' option"),
    ("gelf", {"gelf-address": ""}, "log_options.gelf-address: '' is not a GELF address"),
    ("gelf", {"gelf-address": "http://graylog:12201"}, "use udp://host:port or tcp://host:port"),
    ("gelf", {"gelf-address": "graylog:12201"}, "is not a GELF address"),
    ("gelf", {"gelf-address": "udp://graylog"}, "has no port"),
    ("gelf", {"gelf-address": "udp://graylog:x"}, "invalid port 'x'"),
    ("gelf", {"gelf-address": "udp://g:1", "gelf-compression-type": "bzip2"}, "is not one of: gzip, zlib, none"),
    ("gelf", {"gelf-address": "udp://g:1", "gelf-compression-level": "12"}, "use an integer from -1 to 9"),
    ("gelf", {"gelf-address": "udp://g:1", "gelf-tcp-max-reconnect": "3"}, "only applies to a tcp:// gelf-address"),
    ("gelf", {"gelf-address": "tcp://g:1", "gelf-tcp-max-reconnect": "-2"}, "an integer of 0 or more"),
    ("gelf", {"gelf-address": "tcp://g:1", "gelf-tcp-reconnect-delay": "0"}, "positive integer"),
    # fluentd
    ("fluentd", {"fluentd-address": "http://x:1"}, "is not a fluentd address"),
    ("fluentd", {"fluentd-address": "host:abc"}, "invalid port 'abc'"),
    ("fluentd", {"fluentd-address": "x:1:2"}, "is not an address of the form host:port"),
    ("fluentd", {"fluentd-address": "unix://relative.sock"}, "needs an absolute socket path"),
    ("fluentd", {"fluentd-async": "sometimes"}, "is not a boolean"),
    ("fluentd", {"fluentd-max-retries": "-1"}, "an integer of 0 or more"),
    # awslogs
    ("awslogs", {}, "the awslogs logging driver needs the 'awslogs-group' option"),
    ("awslogs", {"awslogs-group": "g", "awslogs-datetime-format": "%H", "awslogs-multiline-pattern": "^I"},
     "cannot be used together"),
    ("awslogs", {"awslogs-group": "g", "awslogs-create-group": "si"}, "is not a boolean"),
    ("awslogs", {"awslogs-group": "g", "awslogs-max-buffered-events": "0"}, "positive integer"),
    # splunk
    ("splunk", {"splunk-token": "t"}, "needs the 'splunk-url' option"),
    ("splunk", {"splunk-url": "https://s:8088"}, "needs the 'splunk-token' option"),
    ("splunk", {"splunk-url": "ftp://s", "splunk-token": "t"}, "is not a Splunk HTTP Event Collector URL"),
    ("splunk", {"splunk-url": "https://", "splunk-token": "t"}, "is not a Splunk HTTP Event Collector URL"),
    ("splunk", {"splunk-url": "https://s", "splunk-token": "t", "splunk-format": "xml"},
     "is not one of: inline, json, raw"),
    ("splunk", {"splunk-url": "https://s", "splunk-token": "t", "splunk-gzip-level": "10"}, "from -1 to 9"),
    # gcplogs, logentries, etwlogs
    ("gcplogs", {"gcp-log-cmd": "maybe"}, "is not a boolean"),
    ("logentries", {}, "needs the 'logentries-token' option"),
    ("logentries", {"logentries-token": "t", "line-only": "2"}, "is not a boolean"),
    ("etwlogs", {"tag": "x"}, "unknown option 'tag' for the etwlogs"),
]


@pytest.mark.parametrize("driver,options,message", BAD)
def test_refused_with_one_line(driver, options, message):
    with pytest.raises(InvalidLogConfig) as caught:
        normalise_log_options(driver, options)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text
    assert text.startswith("log_options")


def test_every_builtin_driver_is_covered():
    tested = {case[0] for case in GOOD} & {case[0] for case in BAD}
    assert tested == set(BUILTIN_DRIVERS)


def test_non_strings_become_strings_with_a_warning_each():
    result, warnings = normalise_log_options(
        "json-file", {"max-file": 3, "max-size": "10m", "compress": True})
    assert result == {"max-file": "3", "max-size": "10m", "compress": "true"}
    assert len(warnings) == 2
    assert any("log_options.max-file" in w and "'3'" in w for w in warnings)
    assert any("log_options.compress" in w and "'true'" in w for w in warnings)


def test_false_and_floats_are_converted():
    result, warnings = normalise_log_options("local", {"compress": False, "max-size": 1048576.0})
    assert result == {"compress": "false", "max-size": "1048576.0"}
    assert len(warnings) == 2


def test_converted_values_are_still_checked():
    with pytest.raises(InvalidLogConfig, match="max-file: '0' is out of range"):
        normalise_log_options("json-file", {"max-file": 0})


@pytest.mark.parametrize("value,message", [
    (None, "log_options.tag has no value"),
    (["a"], "log_options.tag: ['a'] is a list; logging options take strings"),
    ({"a": 1}, "is a dict"),
])
def test_values_that_cannot_be_strings(value, message):
    with pytest.raises(InvalidLogConfig) as caught:
        normalise_log_options("json-file", {"tag": value})
    assert message in str(caught.value)


def test_options_must_be_a_dict():
    with pytest.raises(InvalidLogConfig, match="must be a dictionary"):
        normalise_log_options("json-file", ["max-size=1m"])


def test_option_names_must_be_strings():
    with pytest.raises(InvalidLogConfig, match="option names must be non-empty strings"):
        normalise_log_options("json-file", {1: "x"})


def test_the_option_name_is_used_in_messages():
    with pytest.raises(InvalidLogConfig) as caught:
        normalise_log_options("json-file", {"max-size": "big"}, option_name="log-opts")
    assert str(caught.value).startswith("log-opts.max-size: 'big'")


def test_input_is_not_modified():
    options = {"max-file": 3}
    normalise_log_options("json-file", options)
    assert options == {"max-file": 3}


@pytest.mark.parametrize("driver", ["grafana/loki-docker-driver:latest", "loki:latest", "example.com/x/y",
                                    "my-plugin", None])
def test_plugins_unknown_and_default_drivers_get_type_checks_only(driver):
    result, warnings = normalise_log_options(driver, {"loki-url": "http://x", "loki-retries": 5})
    assert result == {"loki-url": "http://x", "loki-retries": "5"}
    assert len(warnings) == 1
    with pytest.raises(InvalidLogConfig):
        normalise_log_options(driver, {"loki-url": None})


PLUGINS = ["grafana/loki-docker-driver:latest", "loki:2.9", "custom-plugin"]


@pytest.mark.parametrize("driver", list(BUILTIN_DRIVERS) + PLUGINS)
def test_validate_log_driver_without_engine_list(driver):
    assert validate_log_driver(driver) == driver


LINUX_ENGINE = ["awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local", "logentries",
                "splunk", "syslog", "loki:latest"]


@pytest.mark.parametrize("driver", ["json-file", "local", "none", "loki:latest", "grafana/loki-docker-driver:2.9"])
def test_validate_log_driver_against_the_engine(driver):
    assert validate_log_driver(driver, available=LINUX_ENGINE) == driver


@pytest.mark.parametrize("driver,message", [
    ("etwlogs", "log_driver: 'etwlogs' is not available on this engine (etwlogs exists on Windows only)"),
    ("jsonfile", "log_driver: 'jsonfile' is not a logging driver this engine knows (install the plugin first)"),
    ("journald", "'journald' is not available on this engine"),
])
def test_validate_log_driver_refuses_what_the_engine_lacks(driver, message):
    available = [d for d in LINUX_ENGINE if d != "journald"]
    with pytest.raises(InvalidLogConfig) as caught:
        validate_log_driver(driver, available=available)
    text = str(caught.value)
    assert message in text
    assert "available: awslogs, fluentd, gcplogs, gelf, json-file" in text
    assert text.endswith(", none")


@pytest.mark.parametrize("driver", ["", "  ", None, 3, "json file", " json-file"])
def test_validate_log_driver_refuses_non_names(driver):
    with pytest.raises(InvalidLogConfig, match="^log_driver"):
        validate_log_driver(driver)


def test_validate_log_driver_option_name():
    with pytest.raises(InvalidLogConfig, match="^log-driver: 'bogus'"):
        validate_log_driver("bogus", available=["json-file"], option_name="log-driver")


def test_plugin_reference_detection():
    assert is_plugin_reference("grafana/loki-docker-driver:latest")
    assert is_plugin_reference("loki:latest")
    assert not is_plugin_reference("json-file")
    assert not is_plugin_reference("loki")


# --- hostile input (issue 12): one line naming the option, never another exception -----------

HUGE = 10 ** 5000  # str() of it raises ValueError on Python 3.11+ (the 4,300-digit limit)

HOSTILE = [
    # ports: str.isdigit() takes '²' and '٣', int() does not; 5,000 digits pass isdigit too
    ("syslog", {"syslog-address": "tcp://h:²"}, "log_options.syslog-address: 'tcp://h:²' has an invalid port '²'"),
    ("syslog", {"syslog-address": "udp://h:٣"}, "has an invalid port '٣'; use a number from 1 to 65535"),
    ("syslog", {"syslog-address": "tcp://h:" + "1" * 5000}, "has an invalid port '1111"),
    ("gelf", {"gelf-address": "udp://h:²"}, "has an invalid port '²'"),
    ("fluentd", {"fluentd-address": "h:" + "9" * 5000}, "has an invalid port"),
    ("syslog", {"syslog-address": "tcp://h:99999"}, "has an invalid port '99999'"),
    ("syslog", {"syslog-facility": "²"}, "log_options.syslog-facility: '²' is not a syslog facility"),
    ("syslog", {"syslog-facility": "1" * 5000}, "is not a syslog facility"),
    # integers: Go reads them into 64 bits at most
    ("json-file", {"max-file": "1" * 5000}, "log_options.max-file: '1111"),
    ("json-file", {"max-file": "99999999999999999999"}, "is out of range; use a positive integer"),
    ("json-file", {"max-file": "³"}, "is not a positive integer"),
    ("json-file", {"max-file": HUGE}, "<an integer of about 5001 digits> is too large or not finite"),
    ("json-file", {"tag": float("nan")}, "log_options.tag: nan is too large or not finite"),
    ("json-file", {"tag": float("inf")}, "is too large or not finite"),
    # addresses: Go's url.Parse refuses control characters; the resolver knows no IDNA
    ("syslog", {"syslog-address": "tcp://h\x00:514"}, "contains a control character"),
    ("syslog", {"syslog-address": "unix:///dev/log\n"}, "contains a control character"),
    ("gelf", {"gelf-address": "udp://h\t:12201"}, "contains a control character"),
    ("fluentd", {"fluentd-address": "/run/f.sock\x00"}, "contains a control character"),
    ("syslog", {"syslog-address": "tcp://hôst:514"}, "is not an address of the form host:port"),
    ("syslog", {"syslog-address": "tcp://[:::::]:514"}, "has an invalid IPv6 address in brackets"),
    ("gelf", {"gelf-address": "udp://[::ffff:1.2.3.4.5]:1"}, "has an invalid IPv6 address"),
    # splunk-url: the engine refuses a path, query or fragment when the container starts
    ("splunk", {"splunk-url": "https://s:8088/services/collector", "splunk-token": "t"},
     "must be scheme://host:port with no path, query or fragment"),
    ("splunk", {"splunk-url": "https://s:8088?x=1", "splunk-token": "t"}, "no path, query or fragment"),
    ("splunk", {"splunk-url": "https://s:8088#f", "splunk-token": "t"}, "no path, query or fragment"),
    ("splunk", {"splunk-url": "https://s:99999", "splunk-token": "t"}, "has an invalid port '99999'"),
    ("splunk", {"splunk-url": "https://s p:8088", "splunk-token": "t"}, "is not an address of the form host:port"),
    ("syslog", {"syslog-address": "tcp://u:Sys-Pa55@h:514"},
     "'tcp://u:********@h:514' contains user credentials (user:password@), which this address does not take"),
    # fluentd values the engine parses when the container is created
    ("fluentd", {"fluentd-buffer-limit": "lots"}, "log_options.fluentd-buffer-limit: 'lots' is not a size"),
    ("fluentd", {"fluentd-retry-wait": "5"}, "log_options.fluentd-retry-wait: '5' is not a duration such as"),
    ("fluentd", {"fluentd-retry-wait": "1sec"}, "a number with a unit ns, us, ms, s, m or h each"),
    ("fluentd", {"fluentd-write-timeout": "soon"}, "is not a duration"),
    ("fluentd", {"fluentd-async-reconnect-interval": "1h"}, "is out of range; use a duration from 100ms to 10s"),
    ("fluentd", {"fluentd-async-reconnect-interval": "50ms"}, "is out of range"),
    ("fluentd", {"fluentd-async-reconnect-interval": "-1s"}, "is out of range"),
    # the tag is a Go template, parsed when the container starts
    ("json-file", {"tag": "{{.Name"}, "log_options.tag: '{{.Name' has a '{{' that is never closed"),
    ("syslog", {"tag": "a{{.ID}}b{{"}, "is never closed"),
    ("json-file", {"tag": "{{ }}"}, "has an empty '{{}}'"),
]


@pytest.mark.parametrize("driver,options,message", HOSTILE, ids=[short_repr(case[1])[:50] for case in HOSTILE])
def test_hostile_values_are_refused_in_one_line(driver, options, message):
    with pytest.raises(InvalidLogConfig) as caught:
        normalise_log_options(driver, options)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text and len(text) < 1000
    assert text.startswith("log_options")


@pytest.mark.parametrize("driver,options", [
    ("fluentd", {"fluentd-async-reconnect-interval": "0"}),
    ("fluentd", {"fluentd-async-reconnect-interval": "100ms", "fluentd-retry-wait": "1.5s",
                 "fluentd-write-timeout": "+1m30s", "fluentd-buffer-limit": "8m"}),
    ("fluentd", {"fluentd-async-reconnect-interval": "10s"}),
    ("splunk", {"splunk-url": "https://s:8088/", "splunk-token": "t"}),
    ("splunk", {"splunk-url": "https://[2001:db8::1]:8088", "splunk-token": "t"}),
    ("syslog", {"syslog-address": "tcp://[fe80::1%eth0]:514", "syslog-facility": "007"}),
    ("syslog", {"syslog-address": "udp://log_host-1.example.com"}),
    ("json-file", {"tag": "{{.Name}}/{{.ID}}", "max-file": "0009"}),
    ("json-file", {"tag": ""}),
    ("json-file", {"max-file": "9223372036854775807"}),
])
def test_edges_still_accepted(driver, options):
    assert normalise_log_options(driver, options) == (options, [])


def test_secret_values_stay_out_of_warnings_and_errors():
    result, warnings = normalise_log_options("splunk", {"splunk-url": "https://s:8088", "splunk-token": 123456})
    assert result["splunk-token"] == "123456"
    assert warnings == ["log_options.splunk-token: the int ******** was passed as the string ********; quote it to "
                        "avoid this warning"]
    with pytest.raises(InvalidLogConfig) as caught:
        normalise_log_options("splunk", {"splunk-url": "https://s:8088", "splunk-token": ["hunter2"]})
    assert str(caught.value) == "log_options.splunk-token: ******** is a list; logging options take strings"
    with pytest.raises(InvalidLogConfig) as caught:
        normalise_log_options("splunk", {"splunk-url": "https://user:hunter2@s:8088/x", "splunk-token": "t"})
    assert "hunter2" not in str(caught.value) and "no path, query or fragment" in str(caught.value)


def test_odd_option_names_are_quoted_in_messages():
    with pytest.raises(InvalidLogConfig) as caught:
        normalise_log_options("loki:latest", {"a\nb": None})
    assert str(caught.value) == "log_options['a\\nb'] has no value; give it a string value or leave the option out"
    with pytest.raises(InvalidLogConfig) as caught:
        normalise_log_options("json-file", {"bad\x00name": "1"})
    assert "unknown option 'bad\\x00name'" in str(caught.value)
    with pytest.raises(InvalidLogConfig) as caught:
        normalise_log_options("json-file", {HUGE: "1"})
    assert "option names must be non-empty strings, got <an integer of about 5001 digits>" in str(caught.value)


@pytest.mark.parametrize("driver", [5, 1.5, ["json-file"], {"a": 1}, True, HUGE], ids=short_repr)
def test_a_driver_that_is_not_a_name_is_refused_with_the_options(driver):
    with pytest.raises(InvalidLogConfig, match=r"^log_options: the logging driver .* is not a name"):
        normalise_log_options(driver, {"max-size": "1m"})


@pytest.mark.parametrize("driver,message", [
    (HUGE, "log_driver must be a logging driver name such as json-file or local, not <an integer of about"),
    ("json\x00file", "log_driver: 'json\\x00file' is not a logging driver name"),
    ("loki:latest\u200b", "is not a logging driver name"),
    ("jsön-file", "is not a logging driver name"),
    ("x" * 5000, "log_driver: 'xxxx"),
], ids=["huge-int", "nul", "zero-width-space", "non-ascii", "long"])
def test_validate_log_driver_refuses_hostile_names(driver, message):
    with pytest.raises(InvalidLogConfig) as caught:
        validate_log_driver(driver, available=["json-file"])
    assert message in str(caught.value)
    assert len(str(caught.value)) < 1000


def test_validate_log_driver_ignores_what_is_not_a_name_in_the_engine_list():
    assert validate_log_driver("json-file", available=[None, 3, "json-file"]) == "json-file"
    with pytest.raises(InvalidLogConfig, match="available: json-file, none$"):
        validate_log_driver("local", available=["json-file", None, 2])
    assert validate_log_driver("json-file", available=None) == "json-file"


@pytest.mark.parametrize("driver", [None, 5, 0.0, False, b"a/b", HUGE, ["a/b"]], ids=short_repr)
def test_plugin_reference_detection_of_non_strings(driver):
    assert is_plugin_reference(driver) is False
