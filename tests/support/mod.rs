//! Shared by the end-to-end tests: a W3C WebDriver client that drives the
//! real Linkdesk window through tauri-driver and WebKitWebDriver.
#![allow(dead_code)]

pub mod webdriver;
