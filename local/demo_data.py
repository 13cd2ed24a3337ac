"""Word lists for the demo tenants: names, streets, places, notes. Data only, no logic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """A town the demo clients live in: postal code prefix and centre coordinates."""

    city: str
    region: str
    postal_prefix: str
    lat: float
    lng: float
    area_code: str  # landline prefix, national digits without the trunk 0
    weight: int = 1


# --- Spain: Academia Lumen, a language school in Madrid ---------------------------------

ES_FIRST_NAMES = (
    "Lucía", "Sofía", "Martina", "María", "Julia", "Paula", "Valeria", "Emma", "Daniela",
    "Carla", "Alba", "Noa", "Sara", "Carmen", "Laura", "Marta", "Elena", "Ana", "Irene",
    "Claudia", "Nerea", "Ainhoa", "Rocío", "Beatriz", "Pilar", "Hugo", "Martín", "Pablo",
    "Lucas", "Mateo", "Leo", "Daniel", "Alejandro", "Manuel", "Álvaro", "Adrián", "Mario",
    "Diego", "Javier", "David", "Sergio", "Jorge", "Carlos", "Iván", "Raúl", "Rubén",
    "Íñigo", "Gonzalo", "Francisco", "José Luis", "Miguel Ángel", "Juan Carlos",
)  # fmt: skip
ES_SURNAMES = (
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
    "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
    "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales", "Suárez", "Ortega",
    "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Núñez", "Iglesias", "Medina",
    "Garrido", "Cortés", "Castillo", "Santos", "Lozano", "Guerrero", "Cano", "Prieto",
    "Méndez", "Cruz", "Calvo", "Gallego", "Vidal", "León", "Herrera", "Peña", "Aguirre",
)  # fmt: skip
ES_STREETS = (
    "Calle de Alcalá", "Calle de Bravo Murillo", "Calle Mayor", "Calle de Serrano",
    "Calle de Toledo", "Calle de Atocha", "Paseo de la Castellana", "Calle de Princesa",
    "Calle de Fuencarral", "Calle de Embajadores", "Avenida de América", "Calle de Goya",
    "Calle de Arturo Soria", "Calle de López de Hoyos", "Avenida de la Albufera",
    "Calle del Doctor Esquerdo", "Calle de Sagasta", "Calle Real", "Avenida de Europa",
    "Calle de la Constitución", "Plaza de España", "Calle del Pilar", "Calle Nueva",
)  # fmt: skip
ES_PLACES = (
    Place("Madrid", "Comunidad de Madrid", "280", 40.4168, -3.7038, "91", 12),
    Place("Alcalá de Henares", "Comunidad de Madrid", "2880", 40.4818, -3.3643, "91", 2),
    Place("Getafe", "Comunidad de Madrid", "2890", 40.3083, -3.7327, "91", 2),
    Place("Móstoles", "Comunidad de Madrid", "2893", 40.3223, -3.8649, "91", 2),
    Place("Leganés", "Comunidad de Madrid", "2891", 40.3280, -3.7635, "91", 1),
    Place("Alcobendas", "Comunidad de Madrid", "2810", 40.5475, -3.6420, "91", 2),
    Place("Pozuelo de Alarcón", "Comunidad de Madrid", "2822", 40.4352, -3.8137, "91", 1),
    Place("Barcelona", "Cataluña", "080", 41.3874, 2.1686, "93", 1),
    Place("Valencia", "Comunitat Valenciana", "460", 39.4699, -0.3763, "96", 1),
    Place("Sevilla", "Andalucía", "410", 37.3891, -5.9845, "954", 1),
)
ES_EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "yahoo.es", "outlook.es", "telefonica.net")
ES_COMPANIES = (
    "Talleres Navarro", "Construcciones Iberia", "Farmacia Castellana", "Gestoría Delgado",
    "Hotel Puerta del Sol", "Transportes Cano", "Clínica Dental Arganzuela", "Bodegas Ribera",
    "Inmobiliaria Chamberí", "Logística Henares", "Asesoría Molina", "Ópticas Retiro",
    "Grupo Editorial Atocha", "Consultora Prisma", "Seguros Castilla", "Laboratorios Sierra",
    "Restaurante El Fogón", "Estudio de Arquitectura Norte", "Software Meseta",
    "Academia de Danza Lavapiés",
)  # fmt: skip
ES_BUSINESS_KINDS = (
    "Talleres", "Gestoría", "Farmacia", "Clínica", "Transportes", "Asesoría", "Construcciones",
    "Inmobiliaria", "Ópticas", "Consultora", "Distribuciones", "Laboratorios",
)  # fmt: skip
ES_COMPANY_SUFFIXES = ("S.L.", "S.A.", "S.L.U.", "S. Coop.")
ES_COMPANY_DOMAINS = ("es", "es", "com")
ES_NOTES = (
    "Quiere preparar el First (B2) para junio.",
    "Prefiere clases por la tarde, a partir de las 18:00.",
    "Interesada en alemán para un traslado a Múnich.",
    "Pide presupuesto para formación in company de inglés (8 empleados).",
    "Hizo la prueba de nivel: B1 alto.",
    "Hermana de una alumna actual; posible descuento familiar.",
    "Llamar después de Semana Santa.",
    "Busca clases de conversación online, dos horas a la semana.",
    "Dejó el curso en febrero por motivos de trabajo.",
    "Vino por recomendación de su profesora del instituto.",
    "Quiere intensivo de verano en julio.",
    "Pregunta por el curso de español para su marido (A2).",
)
ES_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
ES_LANGUAGES = ("inglés", "alemán", "francés", "italiano", "español para extranjeros")
ES_SCHEDULES = ("mañana", "tarde", "sábados", "online")

# --- Argentina: Servicios Técnicos del Plata, field service in Buenos Aires ----------------

AR_FIRST_NAMES = (
    "Sofía", "Valentina", "Catalina", "Martina", "Camila", "Florencia", "Agustina", "Lucía",
    "Milagros", "Micaela", "Romina", "Natalia", "Silvina", "Graciela", "Mariela", "Carolina",
    "Julieta", "Mercedes", "Santiago", "Mateo", "Thiago", "Benjamín", "Joaquín", "Tomás",
    "Facundo", "Nicolás", "Matías", "Gonzalo", "Federico", "Lautaro", "Ezequiel", "Hernán",
    "Gustavo", "Sergio", "Marcelo", "Diego", "Pablo", "Ramiro", "Leandro", "Ignacio",
    "Juan Pablo", "María José",
)  # fmt: skip
AR_SURNAMES = (
    "González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez", "Pérez",
    "García", "Sánchez", "Romero", "Sosa", "Álvarez", "Torres", "Ruiz", "Ramírez", "Flores",
    "Acosta", "Benítez", "Medina", "Suárez", "Herrera", "Aguirre", "Giménez", "Gutiérrez",
    "Pereyra", "Rojas", "Molina", "Castro", "Ortiz", "Silva", "Núñez", "Luna", "Cabrera",
    "Ríos", "Ferreyra", "Godoy", "Morales", "Domínguez", "Russo", "Ferrari", "Rossi",
    "Bianchi", "Romano", "Costa", "Fontana", "Greco", "Marino", "Lombardi", "Colombo",
)  # fmt: skip
AR_STREETS = (
    "Av. Corrientes", "Av. Santa Fe", "Av. Rivadavia", "Av. Cabildo", "Av. Córdoba",
    "Av. Callao", "Av. Belgrano", "Av. San Martín", "Av. Maipú", "Av. del Libertador",
    "Thames", "Gurruchaga", "Güemes", "Juramento", "Olazábal", "Acoyte", "Honduras",
    "Cramer", "Moreno", "Sarmiento", "Mitre", "Lavalle", "Av. Hipólito Yrigoyen",
    "Calle 7", "Calle 12", "Calle 50",
)  # fmt: skip
AR_PLACES = (
    Place("Ciudad Autónoma de Buenos Aires", "CABA", "C14", -34.6037, -58.3816, "11", 10),
    Place("Vicente López", "Buenos Aires", "B1638", -34.5266, -58.4748, "11", 2),
    Place("San Isidro", "Buenos Aires", "B1642", -34.4708, -58.5286, "11", 2),
    Place("Quilmes", "Buenos Aires", "B1878", -34.7206, -58.2546, "11", 2),
    Place("Lanús", "Buenos Aires", "B1824", -34.7000, -58.3950, "11", 1),
    Place("Morón", "Buenos Aires", "B1708", -34.6534, -58.6198, "11", 1),
    Place("La Plata", "Buenos Aires", "B1900", -34.9205, -57.9536, "221", 2),
)
AR_EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "yahoo.com.ar", "fibertel.com.ar", "outlook.com")
AR_COMPANIES = (
    "Consorcio Av. Corrientes 3456", "Panadería La Espiga", "Frigorífico del Sur",
    "Consorcio Thames 1820", "Hotel Plaza Mayo", "Supermercado El Progreso",
    "Clínica San Jorge", "Colegio Nuestra Señora", "Farmacia Belgrano",
    "Gimnasio Palermo Fit", "Restaurante La Parrilla de Tito", "Estudio Contable Rossi",
    "Metalúrgica Quilmes", "Laboratorio Andino", "Cervecería Artesanal Lanús",
    "Heladería Vesubio", "Hospital Privado Norte", "Oficinas Catalinas Tower",
    "Consorcio Güemes 4120", "Depósito Logístico Morón",
)  # fmt: skip
AR_BUSINESS_KINDS = (
    "Panadería", "Farmacia", "Ferretería", "Estudio Contable", "Clínica", "Taller Mecánico",
    "Distribuidora", "Autoservicio", "Frigorífico", "Lavadero", "Inmobiliaria", "Gimnasio",
)  # fmt: skip
AR_COMPANY_SUFFIXES = ("S.A.", "S.R.L.", "S.A.S.")
AR_COMPANY_DOMAINS = ("com.ar",)
AR_NOTES = (
    "Mantenimiento preventivo de split cada 6 meses.",
    "Pidió presupuesto para instalar 3 equipos de aire acondicionado.",
    "La caldera pierde presión; visita técnica pendiente.",
    "Portero eléctrico con falla intermitente.",
    "Abono mensual de mantenimiento desde marzo.",
    "Coordinar visita con el encargado del edificio (tel. en portería).",
    "Reclamo por demora en la última visita: priorizar.",
    "Cliente pide factura A.",
    "Revisar instalación de gas antes del invierno.",
    "Quiere cambiar el termotanque por uno de alta recuperación.",
    "Acceso por cochera; pedir la llave al administrador.",
)
AR_EQUIPMENT = (
    "Split BGH 3000 fg",
    "Split Surrey 4500 fg",
    "Caldera Peisa Diva",
    "Termotanque Rheem 80 l",
    "Bomba presurizadora Rowa",
    "Grupo electrógeno Gamma",
    "Portero eléctrico Commax",
    "Cámara frigorífica",
)
AR_CONTRACTS = ("abono mensual", "abono trimestral", "por visita")
