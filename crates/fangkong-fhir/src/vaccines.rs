//! The COVID-19 vaccine products used in China, as FHIR codings name them. The vocabulary
//! itself (names, CVX codes and aliases, the project's codes, primary courses) is
//! [`fangkong_domain::immunization::VaccineProduct`], the one list every layer uses.

pub use fangkong_domain::immunization::VaccineProduct;

/// Every product, in the domain's order.
pub const VACCINE_PRODUCTS: &[VaccineProduct] = VaccineProduct::ALL;

/// The product a coding names: a CVX code (or alias) or a
/// [`crate::VACCINE_PRODUCT_SYSTEM`] code.
pub fn vaccine_product(system: &str, code: &str) -> Option<VaccineProduct> {
    VaccineProduct::from_coding(system, code)
}
