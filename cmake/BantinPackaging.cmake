# Install rules and the Debian packages (docs/packaging.md).
#
# Two install components, one .deb each (CPack's DEB generator, component install):
#   controller -> bantin-controller: bantin-controller, bantin (CLI), the web console,
#                 /etc/bantin/controller.toml, bantin-controller.service
#   player     -> bantin-player: bantin-player, /etc/bantin/player.toml, bantin-player.service
# Executables and data follow CMAKE_INSTALL_PREFIX (the packages use /usr). The config files
# and systemd units have absolute destinations (/etc/bantin, /lib/systemd/system), as a
# Debian package needs them; BANTIN_INSTALL_SYSTEM_FILES=OFF leaves them out of a plain
# `cmake --install` into a private prefix.
#
# Build the packages: packaging/build-debs.sh, or `cpack -G DEB` in any configured build tree
# whose executables are built (tests/packaging does that).
include(GNUInstallDirs)

option(BANTIN_INSTALL_SYSTEM_FILES
       "Install /etc/bantin configs and systemd units (absolute paths; needed by the Debian packages)" ON)
set(BANTIN_PACKAGE_MAINTAINER "Bantin maintainers <maintainers@bantin.example>"
    CACHE STRING "Maintainer field of the Debian packages")

set(packaging_dir ${PROJECT_SOURCE_DIR}/packaging)

# --- controller -------------------------------------------------------------------------
install(TARGETS bantin-controller bantin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT controller)
# The controller finds <prefix>/share/bantin/web next to <prefix>/bin (controller/src/web_console.cpp).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/bantin/web
        COMPONENT controller FILES_MATCHING PATTERN "*.html" PATTERN "*.js" PATTERN "*.css"
        PATTERN "*.svg" PATTERN "*.png" PATTERN "*.ico")
install(FILES ${PROJECT_SOURCE_DIR}/docs/packaging.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/bantin-controller COMPONENT controller)
if(BANTIN_INSTALL_SYSTEM_FILES)
  install(FILES ${packaging_dir}/controller.toml DESTINATION /etc/bantin
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT controller)
  install(FILES ${packaging_dir}/bantin-controller.service DESTINATION /lib/systemd/system
          COMPONENT controller)
endif()

# --- player -----------------------------------------------------------------------------
set(bantin_components controller)
if(TARGET bantin-player)
  list(APPEND bantin_components player)
  install(TARGETS bantin-player RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT player)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/packaging.md
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/bantin-player COMPONENT player)
  if(BANTIN_INSTALL_SYSTEM_FILES)
    install(FILES ${packaging_dir}/player.toml DESTINATION /etc/bantin
            PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT player)
    install(FILES ${packaging_dir}/bantin-player.service DESTINATION /lib/systemd/system
            COMPONENT player)
  endif()
endif()

# --- CPack: one .deb per component ------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bantin)
set(CPACK_PACKAGE_VENDOR "Bantin")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${BANTIN_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL ${bantin_components})
set(CPACK_STRIP_FILES ON)
set(CPACK_OUTPUT_FILE_PREFIX "")

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${BANTIN_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://bantin.example")
# Library dependencies from the binaries (dpkg-shlibdeps); the lists below are appended.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

set(CPACK_DEBIAN_CONTROLLER_PACKAGE_NAME bantin-controller)
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_SECTION net)
# The controller runs Mosquitto (broker.mosquitto_binary), espeak-ng (tts.espeak_binary),
# ffprobe (media uploads) and ffmpeg (speech to audio) as child processes.
# libpq5 (the PostgreSQL store) comes with the shared-library dependencies; the PostgreSQL
# server is not a dependency: it may run on another machine, and SQLite stays the default.
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_DEPENDS "adduser, mosquitto, nginx (>= 1.21.1), espeak-ng, ffmpeg")
set(CPACK_DEBIAN_CONTROLLER_DESCRIPTION
    "Bantin controller: schedules signage and public-address campaigns
The central daemon of Bantin: it stores media, playlists, campaigns and devices,
runs the approval workflow and alerts, and pushes signed playlists over MQTT to the
players through the Mosquitto broker it manages. Also the bantin command-line tool
and the web console.")
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_CONTROL_EXTRA
    ${packaging_dir}/controller/conffiles ${packaging_dir}/controller/postinst
    ${packaging_dir}/controller/prerm ${packaging_dir}/controller/postrm)

set(CPACK_DEBIAN_PLAYER_PACKAGE_NAME bantin-player)
set(CPACK_DEBIAN_PLAYER_PACKAGE_SECTION video)
# Text notices are drawn with Noto Sans (playback.font_file; DejaVu Sans when it is missing), and
# so are the header and ticker bands (bold). libqrencode4 (the header's QR code) comes with the
# shared-library dependencies.
set(CPACK_DEBIAN_PLAYER_PACKAGE_DEPENDS "adduser, fonts-noto-core, fonts-dejavu-core, espeak-ng")
set(CPACK_DEBIAN_PLAYER_DESCRIPTION
    "Bantin player: the screen or loudspeaker daemon of a Bantin device
Takes signed playlists, alerts and commands from the Bantin controller over MQTT,
caches and verifies the media, schedules offline and plays through libmpv on a
screen (SDL2) or a loudspeaker, and reports proof of play.")
set(CPACK_DEBIAN_PLAYER_PACKAGE_CONTROL_EXTRA
    ${packaging_dir}/player/conffiles ${packaging_dir}/player/postinst
    ${packaging_dir}/player/prerm ${packaging_dir}/player/postrm)

include(CPack)
