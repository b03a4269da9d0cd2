# What `cmake --install` and `cpack -G DEB` (scripts/build-deb) put where: the exporter,
# its configuration, a systemd unit and the rules, dashboards and Prometheus example that
# go with it. The Debian package holds the component `exporter` only (not the workload tools).
# Configure with -DCMAKE_INSTALL_PREFIX=/usr for the package: the configuration then goes
# to /etc and the unit to /lib/systemd/system, as Debian 12 places them.
include(GNUInstallDirs)

set(KSE_PACKAGE_NAME kafka-sidecar-exporter)
set(KSE_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging/deb)
set(KSE_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/${KSE_PACKAGE_NAME})
set(KSE_DATA_DIR ${CMAKE_INSTALL_DATADIR}/${KSE_PACKAGE_NAME})
set(KSE_CONFIG_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/${KSE_PACKAGE_NAME})
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(KSE_SYSTEMD_UNIT_DIR /lib/systemd/system CACHE PATH "Where the systemd unit is installed")
else()
  set(KSE_SYSTEMD_UNIT_DIR ${CMAKE_INSTALL_LIBDIR}/systemd/system CACHE PATH "Where the systemd unit is installed")
endif()

# The unit names the installed binary and configuration, wherever the prefix put them.
set(KSE_INSTALLED_BINARY ${CMAKE_INSTALL_FULL_BINDIR}/${KSE_PACKAGE_NAME})
set(KSE_INSTALLED_CONFIG ${KSE_CONFIG_DIR}/exporter.yml)
set(KSE_INSTALLED_ENVIRONMENT ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default/${KSE_PACKAGE_NAME})
configure_file(${KSE_PACKAGING_DIR}/kafka-sidecar-exporter.service.in
               ${PROJECT_BINARY_DIR}/packaging/kafka-sidecar-exporter.service @ONLY)

install(FILES ${KSE_PACKAGING_DIR}/exporter.yml ${PROJECT_SOURCE_DIR}/exporter/kafka-broker-rules.yml
              ${PROJECT_SOURCE_DIR}/exporter/kafka-connect-rules.yml
        DESTINATION ${KSE_CONFIG_DIR} COMPONENT exporter)
# Secrets go here: readable by root only (systemd reads it before dropping privileges).
install(FILES ${KSE_PACKAGING_DIR}/default DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default
        RENAME ${KSE_PACKAGE_NAME} PERMISSIONS OWNER_READ OWNER_WRITE COMPONENT exporter)
install(FILES ${PROJECT_BINARY_DIR}/packaging/kafka-sidecar-exporter.service
        DESTINATION ${KSE_SYSTEMD_UNIT_DIR} COMPONENT exporter)

file(GLOB KSE_PROMETHEUS_RULES ${PROJECT_SOURCE_DIR}/rules/*.yml)
file(GLOB KSE_DASHBOARDS ${PROJECT_SOURCE_DIR}/grafana/dashboards/*.json)
install(FILES ${KSE_PROMETHEUS_RULES} DESTINATION ${KSE_DATA_DIR}/rules COMPONENT exporter)
install(FILES ${KSE_DASHBOARDS} DESTINATION ${KSE_DATA_DIR}/dashboards COMPONENT exporter)
# prometheus.yml reads ../rules/*.yml, which is where they are installed beside it.
install(FILES ${PROJECT_SOURCE_DIR}/prometheus/prometheus.yml ${PROJECT_SOURCE_DIR}/prometheus/alertmanager.yml
        DESTINATION ${KSE_DATA_DIR}/prometheus COMPONENT exporter)

install(FILES ${PROJECT_SOURCE_DIR}/README.md ${KSE_PACKAGING_DIR}/copyright
        DESTINATION ${KSE_DOC_DIR} COMPONENT exporter)
install(FILES ${PROJECT_SOURCE_DIR}/docs/configuration.md ${PROJECT_SOURCE_DIR}/docs/metrics.md
              ${PROJECT_SOURCE_DIR}/docs/alerts.md ${PROJECT_SOURCE_DIR}/docs/jmx-metrics.md
              ${PROJECT_SOURCE_DIR}/docs/compatibility.md
              ${PROJECT_SOURCE_DIR}/docs/migrating-from-kafka_exporter.md
        DESTINATION ${KSE_DOC_DIR}/docs COMPONENT exporter)
# Debian wants the changelog and manual page compressed, without a timestamp in the gzip header.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${KSE_PACKAGING_DIR}/changelog)
execute_process(COMMAND gzip -9nc ${KSE_PACKAGING_DIR}/changelog
                OUTPUT_FILE ${PROJECT_BINARY_DIR}/packaging/changelog.gz COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${PROJECT_BINARY_DIR}/packaging/changelog.gz DESTINATION ${KSE_DOC_DIR} COMPONENT exporter)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${KSE_PACKAGING_DIR}/kafka-sidecar-exporter.1)
execute_process(COMMAND gzip -9nc ${KSE_PACKAGING_DIR}/kafka-sidecar-exporter.1
                OUTPUT_FILE ${PROJECT_BINARY_DIR}/packaging/kafka-sidecar-exporter.1.gz COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${PROJECT_BINARY_DIR}/packaging/kafka-sidecar-exporter.1.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT exporter)
install(FILES ${KSE_PACKAGING_DIR}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME ${KSE_PACKAGE_NAME} COMPONENT exporter)

set(CPACK_PACKAGE_NAME ${KSE_PACKAGE_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Seed bd650ffe maintainers <maintainers@users.noreply.b-seed-bd650ffe.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus exporter for Apache Kafka")
set(CPACK_PACKAGE_DESCRIPTION
    "Watches a Kafka cluster and serves what it sees as Prometheus metrics, one\n"
    "port per broker plus a cluster port: brokers, partitions, ISR, consumer group\n"
    "lag in records and seconds, transactions, broker internals through Jolokia\n"
    "and an end-to-end probe. Ships a hardened systemd unit, alert and recording\n"
    "rules, Grafana dashboards and an example Prometheus configuration.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};exporter;/")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library packages from what the binary links (dpkg-shlibdeps), plus adduser for postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# GSSAPI logins of the probe: librdkafka's Cyrus SASL plugin and the kinit it runs.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libsasl2-modules-gssapi-mit, krb5-user")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles
     "${KSE_CONFIG_DIR}/exporter.yml\n${KSE_CONFIG_DIR}/kafka-broker-rules.yml\n${KSE_CONFIG_DIR}/kafka-connect-rules.yml\n${KSE_INSTALLED_ENVIRONMENT}\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/packaging/conffiles ${KSE_PACKAGING_DIR}/postinst
    ${KSE_PACKAGING_DIR}/prerm ${KSE_PACKAGING_DIR}/postrm)
include(CPack)
