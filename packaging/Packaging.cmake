# SPDX-License-Identifier: MIT
# Install layout (GNUInstallDirs, so /usr/bin, /usr/share/... under the /usr prefix of the
# package), desktop integration, man pages and the Debian package:
#   cmake --build build --target package      or      (cd build && cpack -G DEB)
# writes vaecf-studio_<version>_<arch>.deb. See packaging/README.md.
include_guard(GLOBAL)
include(GNUInstallDirs)

# One reverse-DNS id names the desktop entry, the icon and the AppStream component.
set(VAECF_APP_ID "io.github.vaecf_studio.VaecfStudio")
set(VAECF_HOMEPAGE "https://github.com/vaecf-studio/vaecf-studio" CACHE STRING
    "Project homepage written into the package and the AppStream metadata")
set(VAECF_SCREENSHOT_URL "https://raw.githubusercontent.com/vaecf-studio/vaecf-studio/main/resources/screenshots"
    CACHE STRING "Where the AppStream metadata finds resources/screenshots/*.png")
set(VAECF_MAINTAINER "VAE-CF Studio developers <vaecf-studio@users.noreply.github.com>" CACHE STRING
    "Maintainer field of the Debian package")
# The date of this version: AppStream <release>, the man pages and the Debian changelog.
# Fixed (not the build date) so that packages are reproducible; update with project(VERSION).
set(VAECF_RELEASE_DATE "2026-11-24")
set(VAECF_RELEASE_DATE_RFC2822 "Tue, 24 Nov 2026 00:00:00 +0000")

set(_vaecf_pkg_src "${PROJECT_SOURCE_DIR}/packaging")
set(_vaecf_pkg_out "${PROJECT_BINARY_DIR}/packaging")
# tests/packaging/man_page_test reads the generated man pages from here.
set(VAECF_PACKAGING_BINARY_DIR "${_vaecf_pkg_out}")

# ---- generated files ---------------------------------------------------------------------
configure_file(${_vaecf_pkg_src}/vaecf-studio.desktop.in ${_vaecf_pkg_out}/${VAECF_APP_ID}.desktop @ONLY)
configure_file(${_vaecf_pkg_src}/vaecf-studio.metainfo.xml.in ${_vaecf_pkg_out}/${VAECF_APP_ID}.metainfo.xml @ONLY)
configure_file(${_vaecf_pkg_src}/man/vaecf.1.in ${_vaecf_pkg_out}/vaecf.1 @ONLY)
configure_file(${_vaecf_pkg_src}/man/vaecf-studio.1.in ${_vaecf_pkg_out}/vaecf-studio.1 @ONLY)
configure_file(${_vaecf_pkg_src}/changelog.in ${_vaecf_pkg_out}/changelog @ONLY)

# Man pages and the changelog are installed gzip-compressed (-n: no name or time stamp, so
# the package is reproducible), as Debian policy and lintian expect.
find_program(VAECF_GZIP gzip)
set(_vaecf_gz_inputs vaecf.1 vaecf-studio.1 changelog)
set(_vaecf_gz_outputs "")
foreach(f IN LISTS _vaecf_gz_inputs)
  if(VAECF_GZIP)
    add_custom_command(OUTPUT ${_vaecf_pkg_out}/gz/${f}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_vaecf_pkg_out}/gz
      COMMAND ${CMAKE_COMMAND} -E copy ${_vaecf_pkg_out}/${f} ${_vaecf_pkg_out}/gz/${f}
      COMMAND ${VAECF_GZIP} -9nf ${_vaecf_pkg_out}/gz/${f}
      DEPENDS ${_vaecf_pkg_out}/${f}
      COMMENT "Compressing ${f}" VERBATIM)
    list(APPEND _vaecf_gz_outputs ${_vaecf_pkg_out}/gz/${f}.gz)
    set(_vaecf_installed_${f} ${_vaecf_pkg_out}/gz/${f}.gz)
  else()
    set(_vaecf_installed_${f} ${_vaecf_pkg_out}/${f})
  endif()
endforeach()
add_custom_target(vaecf_packaging_files ALL DEPENDS ${_vaecf_gz_outputs})

# The window names its desktop entry (Wayland compositors find the icon through it).
if(TARGET vaecf-studio)
  target_compile_definitions(vaecf-studio PRIVATE VAECF_APP_ID="${VAECF_APP_ID}")
endif()

# ---- install rules -----------------------------------------------------------------------
# (The programs themselves: app/CMakeLists.txt installs vaecf and vaecf-studio into BINDIR.)
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(_vaecf_docdir ${CMAKE_INSTALL_DATADIR}/doc/vaecf-studio)
install(FILES ${_vaecf_installed_vaecf.1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
if(VAECF_BUILD_UI)
  install(FILES ${_vaecf_pkg_out}/${VAECF_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/vaecf-studio.svg
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps RENAME ${VAECF_APP_ID}.svg)
  install(FILES ${_vaecf_pkg_out}/${VAECF_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  install(FILES ${_vaecf_installed_vaecf-studio.1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
install(FILES ${_vaecf_pkg_src}/copyright DESTINATION ${_vaecf_docdir})
install(FILES ${_vaecf_installed_changelog} DESTINATION ${_vaecf_docdir})

# ---- CPack: the Debian package -----------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "vaecf-studio")
set(CPACK_PACKAGE_VENDOR "VAE-CF Studio developers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${VAECF_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${VAECF_HOMEPAGE}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${VAECF_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${VAECF_HOMEPAGE}")
# The Depends line comes from dpkg-shlibdeps (package dpkg-dev): the Qt 6, oneTBB,
# libarchive and zlib runtime packages, with the versions the binaries need.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "VAE-CF Studio loads a rating dataset (MovieLens, Netflix, Million Song
Dataset, Last.fm or any delimited file), splits it with Liang et al.'s
strong-generalization protocol and trains variational-autoencoder
recommenders (Mult-VAE, Mult-DAE, VampPrior VAE, H+Vamp, BiVAE, RecVAE)
and baselines (EASE, ItemKNN, popularity) on the CPU.
.
This package holds the desktop application vaecf-studio (Qt 6: live
training curves, run comparison, per-user recommendations and a map of
the latent space) and the command-line trainer vaecf, which share one
engine. The matrix kernels are chosen at start-up for the processor
(x86-64 baseline, AVX2 + FMA or AVX-512).")
include(CPack)
