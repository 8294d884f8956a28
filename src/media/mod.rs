//! Media messages in the panel: what kind a picked file is ([`kinds`]), sizes in words ([`sizes`]),
//! uploading ([`upload`], through [`js`]), reading the files a picker, a drop or a paste hands over ([`picked`]), and the
//! parts that load only when first used ([`lazy`]: the image viewer and the voice recorder).

pub mod js;
pub mod kinds;
pub mod lazy;
pub mod picked;
pub mod sizes;
pub mod upload;
