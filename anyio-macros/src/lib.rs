//! The `#[anyio::test]` and `#[anyio::main]` attribute macros. Use them through the `anyio`
//! crate, which documents them.
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, Token};

mod duration;

/// The backends a test can run on: (name in `backends = "..."`, `Backend` variant, test fn name,
/// facade gate macro).
const BACKENDS: [(&str, &str, &str, &str); 3] = [
    ("tokio", "Tokio", "tokio", "__if_tokio"),
    ("smol", "Smol", "smol", "__if_smol"),
    ("async-std", "AsyncStd", "async_std", "__if_async_std"),
];

const DEFAULT_TIME_LIMIT_MS: u64 = 60_000;

/// Runs an async test once per enabled backend; see `anyio::test`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_test(args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Runs an async `main` on an anyio backend; see `anyio::main`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_main(args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// One option of an attribute: `name = "value"`, or a bare `flag`.
enum AttributeOption {
    Value(String, syn::LitStr),
    Flag(syn::Path),
}

fn options(args: TokenStream2) -> syn::Result<Vec<AttributeOption>> {
    let parsed = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    parsed
        .into_iter()
        .map(|option| match option {
            Meta::Path(path) => Ok(AttributeOption::Flag(path)),
            Meta::NameValue(option) => {
                let key = option
                    .path
                    .get_ident()
                    .map(ToString::to_string)
                    .ok_or_else(|| {
                        syn::Error::new_spanned(&option.path, "expected an option name")
                    })?;
                match option.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(value),
                        ..
                    }) => Ok(AttributeOption::Value(key, value)),
                    other => Err(syn::Error::new_spanned(
                        other,
                        format!("`{key}` takes a string, like {key} = \"...\""),
                    )),
                }
            }
            Meta::List(list) => Err(syn::Error::new_spanned(
                list,
                "expected `name = \"value\"` or a bare flag",
            )),
        })
        .collect()
}

fn check_signature(function: &ItemFn, what: &str) -> syn::Result<()> {
    if function.sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            function.sig.fn_token,
            format!("#[anyio::{what}] needs an `async fn`"),
        ));
    }
    if !function.sig.inputs.is_empty() {
        return Err(syn::Error::new_spanned(
            &function.sig.inputs,
            format!("#[anyio::{what}] functions take no arguments"),
        ));
    }
    Ok(())
}

fn expand_test(args: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let mut function: ItemFn = syn::parse2(item)?;
    check_signature(&function, "test")?;
    let mut selected: Vec<&str> = BACKENDS.iter().map(|backend| backend.0).collect();
    let mut time_limit_ms = DEFAULT_TIME_LIMIT_MS;
    let mut autojump = false;
    for option in options(args)? {
        let (key, value) = match option {
            AttributeOption::Flag(path) if path.is_ident("autojump") => {
                autojump = true;
                continue;
            }
            AttributeOption::Flag(path) => {
                return Err(syn::Error::new_spanned(
                    path,
                    "unknown #[anyio::test] flag: expected `autojump`",
                ))
            }
            AttributeOption::Value(key, value) => (key, value),
        };
        match key.as_str() {
            "backends" => {
                selected = Vec::new();
                for name in value.value().split(',').map(str::trim) {
                    let known = BACKENDS
                        .iter()
                        .find(|backend| backend.0 == name || backend.2 == name)
                        .ok_or_else(|| {
                            syn::Error::new_spanned(
                                &value,
                                format!(
                                    "unknown backend `{name}`: expected tokio, smol or async-std"
                                ),
                            )
                        })?;
                    selected.push(known.0);
                }
            }
            "timeout" => {
                time_limit_ms = duration::parse_millis(&value.value())
                    .map_err(|message| syn::Error::new_spanned(&value, message))?;
            }
            other => {
                return Err(syn::Error::new(
                    Span::call_site(),
                    format!(
                        "unknown #[anyio::test] option `{other}`: expected `backends` or `timeout`"
                    ),
                ))
            }
        }
    }

    // Test-harness attributes belong on the generated tests, not on the async fn.
    let (moved, kept): (Vec<_>, Vec<_>) = function.attrs.drain(..).partition(|attribute| {
        attribute.path().is_ident("should_panic") || attribute.path().is_ident("ignore")
    });
    function.attrs = kept;
    let name = &function.sig.ident;
    let visibility = &function.vis;
    let tests = BACKENDS
        .iter()
        .filter(|backend| selected.contains(&backend.0))
        .map(|(_, variant, test_name, gate)| {
            let variant = format_ident!("{variant}");
            let test_name = format_ident!("{test_name}");
            let gate = format_ident!("{gate}");
            quote! {
                ::anyio::#gate! {
                    #[test]
                    #(#moved)*
                    fn #test_name() {
                        let outcome = ::anyio::__private::run_test(
                            ::anyio::__private::TestConfig {
                                backend: ::anyio::Backend::#variant,
                                name: ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                                time_limit: ::core::time::Duration::from_millis(#time_limit_ms),
                                autojump: #autojump,
                            },
                            super::#name,
                        );
                        if let ::core::result::Result::Err(failure) = outcome {
                            ::core::panic!("test returned an error: {:?}", failure);
                        }
                    }
                }
            }
        });
    Ok(quote! {
        #[allow(dead_code)]
        #function

        #[cfg(test)]
        #visibility mod #name {
            #(#tests)*
        }
    })
}

fn expand_main(args: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let function: ItemFn = syn::parse2(item)?;
    check_signature(&function, "main")?;
    let mut backend = None;
    for option in options(args)? {
        let (key, value) = match option {
            AttributeOption::Value(key, value) => (key, value),
            AttributeOption::Flag(path) => {
                return Err(syn::Error::new_spanned(
                    path,
                    "#[anyio::main] takes no flags: expected `backend = \"...\"`",
                ))
            }
        };
        if key != "backend" {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("unknown #[anyio::main] option `{key}`: expected `backend`"),
            ));
        }
        let name = value.value();
        let found = BACKENDS
            .iter()
            .find(|candidate| candidate.0 == name || candidate.2 == name)
            .ok_or_else(|| {
                syn::Error::new_spanned(
                    &value,
                    format!("unknown backend `{name}`: expected tokio, smol or async-std"),
                )
            })?;
        backend = Some(format_ident!("{}", found.1));
    }
    // The other fields (syn's modifiers) have nothing to say about a free `async fn main`.
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = function;
    let name = &sig.ident;
    let output = &sig.output;
    let run = match backend {
        Some(variant) => quote! { ::anyio::run_with(::anyio::Backend::#variant, body) },
        None => quote! { ::anyio::run(body) },
    };
    Ok(quote! {
        #(#attrs)*
        #vis fn #name() #output {
            let body = async move #block;
            #run
        }
    })
}
