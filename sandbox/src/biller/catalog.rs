//! The sandbox billers. Names share no words with the seeded user IDs, so a
//! `search` that matches a biller name is visibly different from one that
//! matches a user.

pub struct Biller {
    pub id: &'static str,
    pub name: &'static str,
    pub category: &'static str,
}

pub const BILLERS: [Biller; 8] = [
    Biller {
        id: "test_electric_company",
        name: "Test Electric Company",
        category: "utilities",
    },
    Biller {
        id: "cascade_water",
        name: "Cascade Water Utility",
        category: "utilities",
    },
    Biller {
        id: "northwind_gas",
        name: "Northwind Gas & Power",
        category: "utilities",
    },
    Biller {
        id: "metro_fiber",
        name: "Metro Fiber Internet",
        category: "internet",
    },
    Biller {
        id: "summit_mobile",
        name: "Summit Mobile",
        category: "telecom",
    },
    Biller {
        id: "harbor_waste",
        name: "Harbor City Waste Services",
        category: "municipal",
    },
    Biller {
        id: "pinecrest_insurance",
        name: "Pinecrest Home Insurance",
        category: "insurance",
    },
    Biller {
        id: "energie_nordique",
        name: "Énergie Nordique",
        category: "utilities",
    },
];

pub const DEFAULT_BILLER: u16 = 0;

pub fn index_of(id: &str) -> Option<u16> {
    BILLERS.iter().position(|b| b.id == id).map(|i| i as u16)
}

pub fn id_of(index: u16) -> &'static str {
    BILLERS
        .get(usize::from(index))
        .map_or(BILLERS[0].id, |b| b.id)
}
